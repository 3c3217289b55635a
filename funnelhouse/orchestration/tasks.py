"""What each task of `crm_funnel_elt` does. Plain functions of plain values (no Airflow imports at
module level) so they are unit-tested without a scheduler and every return value is XCom-friendly JSON.

The leaf packages with heavy third-party imports (the CRM clients, GX, plotly) are imported inside
the task functions: the DAG must parse (and show its graph) even on a worker where, say, GX is
broken, and parsing stays fast because nothing heavy loads at import. No import here breaks a cycle:
the leaves import only the core.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from funnelhouse.core.raw import SOURCES, objects
from funnelhouse.core.runtime import as_of_override
from funnelhouse.core.settings import Settings, erase_vanished, load_settings, mask_dsn
from funnelhouse.core.warehouse import ensure_running
from funnelhouse.orchestration.bi import grant_bi_access

log = logging.getLogger("funnelhouse.orchestration")


class SourceNotConfigured(Exception):
    """A CRM has no credentials: its extract tasks are skipped (not failed) with this message."""


_HOW_TO_CONFIGURE = {
    "salesforce": "set SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN (or SALESFORCE_USERNAME/"
                  "SALESFORCE_PASSWORD/SALESFORCE_SECURITY_TOKEN, or SALESFORCE_CLIENT_ID/SALESFORCE_CLIENT_SECRET)",
    "hubspot": "set HUBSPOT_ACCESS_TOKEN",
}


def jsonable(value: Any) -> Any:
    """Summaries from other layers (dataclasses, datetimes, Paths) as plain JSON for XCom."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    if hasattr(value, "model_dump") and callable(value.model_dump):
        return jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def source_status(settings: Settings, source: str) -> tuple[bool, str]:
    """(enabled, why) for one CRM. In sandbox mode (no credentials at all) both are served locally."""
    if settings.sandbox_mode:
        return True, "sandbox mode: no CRM credentials configured, the local emulator serves this source"
    configured = getattr(settings, source).configured
    if configured:
        return True, "credentials configured"
    return False, f"{source}: no credentials configured, skipping its extraction ({_HOW_TO_CONFIGURE[source]})"


def resolve_as_of(params: dict[str, Any] | None, run_type: str | None = None,
                  data_interval_end: datetime | None = None, now: datetime | None = None) -> str:
    """The as-of time every model of one run uses (dbt var `as_of`), fixed once per run so tasks that
    run minutes apart agree. Precedence: run conf/param `as_of` > FUNNELHOUSE_AS_OF (the sandbox
    world's clock under `make run`) > the data interval end for backfill runs > now."""
    explicit = (params or {}).get("as_of") or as_of_override()
    if explicit:
        parsed = datetime.fromisoformat(str(explicit).replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat()
    if run_type == "backfill" and data_interval_end is not None:
        return data_interval_end.astimezone(UTC).isoformat()
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat()


def prepare_run(params: dict[str, Any] | None = None, run_type: str | None = None,
                data_interval_end: datetime | None = None) -> dict[str, Any]:
    """Fail fast on bad configuration and an unreachable warehouse, before any extraction starts."""
    settings = load_settings()
    dsn = ensure_running(settings)
    sources = {}
    for source in SOURCES:
        enabled, why = source_status(settings, source)
        sources[source] = {"enabled": enabled, "reason": why}
        log.info("source %s: %s", source, why)
    # Write-audit-publish: the marts of this run are built into a fresh shadow schema, never into
    # what BI reads; whatever a failed or killed earlier run left there is dropped first.
    from funnelhouse.publish import reset_shadow

    reset_shadow(dsn)
    as_of = resolve_as_of(params, run_type, data_interval_end)
    log.info("run as-of %s on warehouse %s", as_of, mask_dsn(dsn))
    return {"as_of": as_of, "sources": sources, "warehouse": mask_dsn(dsn), "mode":
            "sandbox" if settings.sandbox_mode else "live"}


def plan_source(source: str) -> list[str]:
    """The objects to extract for one CRM; raises SourceNotConfigured when it has no credentials."""
    settings = load_settings()
    enabled, why = source_status(settings, source)
    if not enabled:
        raise SourceNotConfigured(why)
    names = list(objects(source))
    log.info("%s: %d objects to extract: %s", source, len(names), ", ".join(names))
    return names


def extract_object(source: str, object_name: str, reconcile_now: bool = False) -> dict[str, Any]:
    """One object's extraction; `reconcile_now` forces the hard-delete id reconciliation whatever
    EXTRACT_RECONCILE_HOURS says (the weekly maintenance run)."""
    from extractors.engine.base import ExtractOptions
    from extractors.run import extract_object as _extract

    settings = load_settings()
    dsn = ensure_running(settings)
    options = ExtractOptions.from_env(reconcile_hours=0.0, hubspot_reconcile_hours=0.0) if reconcile_now else None
    summary = jsonable(_extract(settings, dsn, source, object_name, options=options))
    if isinstance(summary, dict):
        summary.setdefault("source", source)
        summary.setdefault("object", object_name)
    if source == "hubspot" and object_name == "contacts" and erase_vanished():
        from funnelhouse.erasure import erase_vanished as _erase_vanished

        erased = _erase_vanished(dsn, settings.state_dir)
        log.info("FUNNELHOUSE_ERASE_VANISHED: %d vanished contact(s) erased", len(erased))
        if isinstance(summary, dict):
            summary["erased_vanished"] = len(erased)
    return summary


def validate(layer: str, run_id: str, shadow: bool = False, raise_critical: bool = True) -> dict[str, Any]:
    """Run the GX suites of one layer; a failed *critical* expectation raises (fails the task, so
    nothing downstream runs) unless `raise_critical` is off (the marts: `publish` then records the
    run as withheld, naming the failures); warnings are logged and returned. `shadow` validates the
    run's shadow marts (marts__next) under their contract names."""
    from expectations import runner
    from funnelhouse.publish import SHADOW_MAP

    dsn = ensure_running(load_settings())
    # The validation run id names the DAG run and the layer, so audit rows and Data Docs folders
    # of a DAG run are easy to find (the runner makes it unique on re-runs/retries).
    summary = runner.validate(dsn, layer, run_id=f"{run_id}-{layer}", dag_run_id=run_id,
                              schema_map=SHADOW_MAP if shadow else None)
    data = jsonable(summary)
    if isinstance(data, dict) and hasattr(summary, "to_dict"):
        data.update(jsonable(summary.to_dict()))  # success, failed_critical_expectations (read by publish)
    log.info("%s", summary.headline() if hasattr(summary, "headline") else json.dumps(data, default=str)[:2000])
    for line in _warning_lines(summary):
        log.warning("%s", line)
    if raise_critical:
        runner.raise_for_critical(summary)
    return data


def _warning_lines(summary: Any) -> list[str]:
    """Warnings do not fail the run but must be visible in the task log."""
    try:
        from expectations.runner import describe_failure

        return [f"data-quality warning: {describe_failure(t, r)}" for t, r in summary.warnings]
    except (ImportError, AttributeError):
        return []


def flatten_summaries(pulled: list[Any]) -> list[dict[str, Any]]:
    """XCom pulls of mapped extract tasks (a list per source, None for a skipped source) as one list."""
    out: list[dict[str, Any]] = []
    for item in pulled:
        if item is None:
            continue
        if isinstance(item, dict):
            out.append(item)
        else:
            out.extend(s for s in item if isinstance(s, dict))
    return out


def safe_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_")[:120] or "run"


def reports_root(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).paths.reports


def data_docs_root(settings: Settings | None = None) -> Path:
    """Where the quality layer publishes Data Docs: `runs/<validation run id>/` per run, `latest/`."""
    return (settings or load_settings()).paths.data_docs


def data_docs_index(settings: Settings | None = None) -> str | None:
    """The stable Data Docs entry point (latest validation), when one was built."""
    index = (settings or load_settings()).paths.latest_data_docs
    return str(index) if index.exists() else None


class Withheld(RuntimeError):
    """The run's marts were not published (failed check or error); `marts` is the last publication."""


def publish(run_id: str, run_info: dict[str, Any], validations: list[dict[str, Any] | None],
            extracts: list[dict[str, Any]] | None = None, error: str | None = None) -> dict[str, Any]:
    """Swap the validated shadow marts in as `marts` (funnelhouse/publish.py) or withhold them (then
    raise Withheld: the DAG run fails, BI keeps the last publication); write the run report and its
    JSON summary. `validations` are the raw and marts summaries (None: that task did not finish)."""
    from funnelhouse.publish import publish_shadow, show_in_data_docs
    from funnelhouse.report import build_report

    settings = load_settings()
    dsn = ensure_running(settings)
    done = [v for v in validations if isinstance(v, dict)]
    if error is None and len(done) < len(validations):
        error = "an upstream task failed (extract, raw validation, dbt or the marts validation): not validated"
    publication = publish_shadow(dsn, run_id, run_id, done, error=error)
    log.info("publication of %s: %s (%s)", run_id, publication.decision, publication.reason)
    try:  # the Data Docs index names the live run (and this run's decision); the swap is already decided
        show_in_data_docs(dsn, data_docs_root(settings))
    except Exception:  # noqa: BLE001 - an HTML page must not turn a decided publication into a failure
        log.exception("writing the publication log into the Data Docs failed")
    if not publication.published:
        raise Withheld(f"marts of run {run_id} withheld: {publication.reason}; "
                       + "; ".join(publication.failed_expectations[:20])
                       + " - BI keeps the last publication (funnelhouse quality history)")
    validations = done
    grants = grant_bi_access(dsn)
    out_dir = reports_root(settings) / safe_name(run_id)
    # Link this run's own Data Docs (marts validation) so an old report never points at newer results.
    docs = next((v.get("data_docs") for v in reversed(validations) if isinstance(v, dict) and v.get("data_docs")),
                None) or data_docs_index(settings)
    report = build_report(dsn, out_dir, data_docs=docs)
    latest = reports_root(settings) / "latest"
    point_latest(latest, out_dir)
    summary = {
        "run_id": run_id,
        "as_of": run_info.get("as_of"),
        "published_at": datetime.now(UTC).isoformat(),
        "report": str(report),
        "latest_report": str(latest / report.name),
        "data_docs": docs,
        "bi_role": grants,
        "live_run_id": run_id,
        "publication": jsonable(publication),
        "validations": validations,
        "extracts": extracts or [],
    }
    (out_dir / "run.json").write_text(json.dumps(summary, indent=2, default=str))
    log.info("published: report %s, data docs %s", report, summary["data_docs"])
    return {k: summary[k] for k in ("run_id", "as_of", "report", "latest_report", "data_docs", "bi_role",
                                    "live_run_id")}


def point_latest(link: Path, target: Path) -> None:
    """`reports/latest` always opens the newest report; a symlink swap is atomic for readers."""
    tmp = link.with_name(".latest.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target.name)
    os.replace(tmp, link)


def source_freshness(run_id: str, run_info: dict[str, Any]) -> dict[str, Any]:
    """`dbt source freshness` to the run's as-of time, stored in audit.source_freshness. Stale sources
    and a failed check are warnings: the run goes on (the raw GX suite is what stops a bad load)."""
    from funnelhouse.orchestration.source_freshness import check_source_freshness

    settings = load_settings()
    try:
        return check_source_freshness(ensure_running(settings), run_id, run_info.get("as_of"),
                                      settings.paths.dbt_freshness)
    except Exception as exc:  # noqa: BLE001 - a broken freshness check must not withhold the marts
        log.warning("dbt source freshness could not run: %s", exc)
        return {"error": str(exc)[:2000]}


def build_dbt_docs(run_info: dict[str, Any]) -> dict[str, Any]:
    """The dbt docs site of this run's project and warehouse, `<state>/dbt_docs/index.html` (offline)."""
    from funnelhouse.orchestration.dbt_docs import build_docs_site

    settings = load_settings()
    try:
        return build_docs_site(ensure_running(settings), None, settings.paths.dbt_docs)
    except Exception as exc:  # noqa: BLE001 - documentation must not withhold the marts
        log.warning("dbt docs site not built: %s", exc)
        return {"error": str(exc)[:2000]}
