"""Run a layer's suites with Great Expectations, store the results for auditors, build Data Docs.

    summary = validate(dsn, "marts", dag_run_id=...)   # never raises for failed expectations
    raise_for_critical(summary)                         # the DAG task: a critical failure fails it

Each run works on a fresh copy of the committed GX context (expectations/gx/) under
`<state_dir>/quality/runs/<run_id>/`, writes its Data Docs site to
`<state_dir>/quality/data_docs/runs/<run_id>/` (copied to `.../data_docs/latest/`) and appends its
results to the warehouse's `audit` schema.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from expectations import audit
from expectations.specs import CRITICAL, ROW_COUNT_MAX, ROW_COUNT_MIN, WARNING, SuiteDef, Target, severity_of
from expectations.suites import GX_DIR, all_suites, select
from funnelhouse.core.paths import StatePaths
from funnelhouse.core.runtime import load_quality_thresholds
from funnelhouse.core.settings import load_settings
from funnelhouse.core.warehouse import ensure_running

log = logging.getLogger(__name__)

DSN_ENV = "FUNNELHOUSE_QUALITY_DSN"
SAMPLE_SIZE = 20
_THRESHOLDS = load_quality_thresholds()
ROW_COUNT_DROP = _THRESHOLDS.row_drop      # -50 % -> warning
ROW_COUNT_GROWTH = _THRESHOLDS.row_growth  # +200 % -> warning
NOT_BUILT = "funnelhouse_table_is_built"


class CriticalExpectationFailed(RuntimeError):
    """A critical expectation failed: nothing downstream may be published."""

    def __init__(self, message: str, summary: ValidationSummary):
        super().__init__(message)
        self.summary = summary


@dataclass
class ExpectationOutcome:
    expectation_type: str
    severity: str
    success: bool
    column: str | None = None
    expectation_id: str | None = None
    description: str | None = None
    observed_value: Any = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    unexpected_sample: list[dict] = field(default_factory=list)
    details: dict | None = None
    kwargs: dict = field(default_factory=dict)
    exception: str | None = None


@dataclass
class TargetOutcome:
    """One validation: one suite on one table (or query)."""

    layer: str
    group: str
    suite: str
    asset: str
    status: str               # validated | not_built | error
    started_at: datetime
    finished_at: datetime
    results: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        return len(self.results)

    @property
    def successful(self) -> int:
        return sum(r.success for r in self.results)

    @property
    def failed_critical(self) -> int:
        return sum(not r.success and r.severity == CRITICAL for r in self.results)

    @property
    def failed_warning(self) -> int:
        return sum(not r.success and r.severity == WARNING for r in self.results)

    @property
    def success(self) -> bool:
        return self.successful == self.evaluated

    @property
    def critical_success(self) -> bool:
        return self.failed_critical == 0


@dataclass
class ValidationSummary:
    run_id: str
    dag_run_id: str | None
    layer: str
    started_at: datetime
    finished_at: datetime
    outcomes: list[TargetOutcome]
    data_docs_dir: Path | None = None        # this run's site
    data_docs_latest: Path | None = None     # the stable folder
    data_docs_note: str | None = None        # why the docs are missing or not offline
    seconds: float = 0.0

    @property
    def evaluated(self) -> int:
        return sum(o.evaluated for o in self.outcomes)

    @property
    def successful(self) -> int:
        return sum(o.successful for o in self.outcomes)

    @property
    def failed(self) -> int:
        return self.evaluated - self.successful

    def failures(self, severity: str) -> list[tuple[TargetOutcome, ExpectationOutcome]]:
        return [(o, r) for o in self.outcomes for r in o.results if not r.success and r.severity == severity]

    @property
    def critical_failures(self) -> list[tuple[TargetOutcome, ExpectationOutcome]]:
        return self.failures(CRITICAL)

    @property
    def warnings(self) -> list[tuple[TargetOutcome, ExpectationOutcome]]:
        return self.failures(WARNING)

    @property
    def not_built(self) -> list[str]:
        return [o.asset for o in self.outcomes if o.status == "not_built"]

    @property
    def success(self) -> bool:
        """No critical failure (warnings are reported, they do not fail a run)."""
        return not self.critical_failures

    @property
    def data_docs_index(self) -> Path | None:
        return self.data_docs_dir / "index.html" if self.data_docs_dir else None

    def headline(self) -> str:
        state = "PASSED" if self.success else "FAILED"
        return (f"quality {self.layer} run {self.run_id}: {state} - {self.evaluated} expectations on "
                f"{len(self.outcomes)} tables, {len(self.critical_failures)} critical failures, "
                f"{len(self.warnings)} warnings, {len(self.not_built)} not built ({self.seconds:.1f}s)")

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id, "dag_run_id": self.dag_run_id, "layer": self.layer,
            "started_at": self.started_at.isoformat(), "finished_at": self.finished_at.isoformat(),
            "success": self.success, "evaluated": self.evaluated, "successful": self.successful,
            "critical_failures": len(self.critical_failures), "warnings": len(self.warnings),
            "not_built": self.not_built, "seconds": round(self.seconds, 2),
            "data_docs": str(self.data_docs_index) if self.data_docs_dir else None,
        }


# ---------------------------------------------------------------------------------------------
# entry points


def validate(
    dsn: Any,
    layer: str = "all",
    run_id: str | None = None,
    dag_run_id: str | None = None,
    data_docs: bool = True,
    suites: list[str] | None = None,
    state_dir: Path | None = None,
) -> ValidationSummary:
    """Run the suites of `layer` ('raw', 'staging', 'marts', 'all', or several as 'staging,marts';
    `suites` narrows to suite or group names) against the warehouse; record results in `audit`; build Data Docs.

    `dsn` is a PostgreSQL URL or a funnelhouse Settings (then its warehouse is used). Failed
    expectations never raise here: call raise_for_critical(summary) to stop on critical ones.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    dsn, state_dir = _resolve(dsn, state_dir)
    chosen = select(layer, suites)
    started, clock = datetime.now(UTC), time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        audit.ensure_schema(conn)
        run_id = _unique_run_id(conn, run_id, layer, state_dir)
        plan, missing = _plan(conn, chosen)
        previous = _Previous(audit.previous_row_counts(conn), audit.previous_partitions(conn))
        work_dir = StatePaths(state_dir).quality_runs / run_id
        outcomes = _missing_outcomes(missing, layer)
        if plan:
            outcomes = _run_gx(dsn, work_dir, run_id, plan, previous, conn) + outcomes
        summary = ValidationSummary(run_id, dag_run_id, layer, started, datetime.now(UTC), outcomes)
        if data_docs and plan:
            from expectations import docs

            try:
                docs.publish(summary, work_dir, StatePaths(state_dir).data_docs)
            except Exception as exc:  # the audit rows below must be written whatever happens to the HTML
                log.exception("building Data Docs for run %s failed", run_id)
                summary.data_docs_note = f"Data Docs not built: {type(exc).__name__}: {exc}"
        audit.record(conn, run_id, dag_run_id, outcomes,
                     str(summary.data_docs_index) if summary.data_docs_dir else None)
    summary.seconds = time.monotonic() - clock
    log.info(summary.headline())
    return summary


def raise_for_critical(summary: ValidationSummary) -> None:
    """Raise CriticalExpectationFailed, naming suite, expectation, column and sample ids."""
    failures = summary.critical_failures
    if not failures:
        return
    lines = [f"{len(failures)} critical data-quality expectation(s) failed in run {summary.run_id} "
             f"({summary.layer}); nothing downstream may be published:"]
    for target, result in failures:
        lines.append("  - " + describe_failure(target, result))
    if summary.data_docs_index:
        lines.append(f"Data Docs: {summary.data_docs_index}")
    lines.append(f"Audit: select * from audit.expectation_results where run_id = '{summary.run_id}' "
                 "and not success;")
    raise CriticalExpectationFailed("\n".join(lines), summary)


def describe_failure(target: TargetOutcome, result: ExpectationOutcome) -> str:
    column = f" column {result.column}" if result.column else ""
    what = result.description or ""
    count = f"{result.unexpected_count} unexpected" if result.unexpected_count is not None else (
        f"observed {result.observed_value!r}")
    text = f"suite {target.suite} on {target.asset}: {result.expectation_type}{column} ({what}) - {count}"
    if result.exception:
        text += f"; error: {result.exception.splitlines()[0][:300]}"
    if result.unexpected_sample:
        text += f"; sample: {_sample_text(result.unexpected_sample)}"
    return text


def _sample_text(sample: list[dict], limit: int = 5) -> str:
    shown = [", ".join(f"{k}={v}" for k, v in row.items()) for row in sample[:limit]]
    more = f" (+{len(sample) - limit} more)" if len(sample) > limit else ""
    return "; ".join(f"[{s}]" for s in shown) + more


# ---------------------------------------------------------------------------------------------
# planning: which targets exist


@dataclass
class _Planned:
    suite: SuiteDef
    target: Target


def _resolve(dsn: Any, state_dir: Path | None) -> tuple[str, Path]:
    if isinstance(dsn, str):
        if state_dir is None:
            state_dir = load_settings().state_dir
        return dsn, Path(state_dir)
    return ensure_running(dsn), Path(state_dir or dsn.state_dir)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_")[:120]


def _unique_run_id(conn: psycopg.Connection, run_id: str | None, layer: str, state_dir: Path) -> str:
    base = _safe(run_id) if run_id else (
        f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{_safe(layer.replace(',', '+'))}-{uuid.uuid4().hex[:6]}")
    candidate, n = base, 1
    while audit.run_id_used(conn, candidate) or (StatePaths(state_dir).quality_runs / candidate).exists():
        n += 1
        candidate = f"{base}.{n}"
    return candidate


def _relations(conn: psycopg.Connection, schemas: set[str]) -> set[tuple[str, str]]:
    found = conn.execute(
        """select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'v', 'm', 'p', 'f') and n.nspname = any(%s)""",
        (sorted(schemas),),
    ).fetchall()
    return {(s, t) for s, t in found}


_QUERY_TABLES = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)", re.IGNORECASE)


def _plan(conn: psycopg.Connection, chosen: list[SuiteDef]) -> tuple[list[_Planned], list[tuple[SuiteDef, str]]]:
    schemas = {t.schema for s in chosen for t in s.targets} | {s.discover_schema for s in chosen if s.discover_schema}
    for s in chosen:
        for t in s.targets:
            if t.query:
                schemas |= {m.group(1) for m in _QUERY_TABLES.finditer(t.query)}
    existing = _relations(conn, {x for x in schemas if x})
    covered = {(t.schema, t.table) for s in all_suites() for t in s.targets if not t.query}
    plan: list[_Planned] = []
    missing: list[tuple[SuiteDef, str]] = []
    for suite in chosen:
        targets = list(suite.targets)
        if suite.discover_schema:
            tables = sorted({t for s, t in existing if s == suite.discover_schema and not t.startswith("_")
                             and not (suite.discover_uncovered and (s, t) in covered)})
            targets += [Target(suite.discover_schema, t, suite.discover_id_columns) for t in tables]
            missing += [(suite, f"{suite.discover_schema}.{t}") for t in suite.expected_tables if t not in tables]
        for target in targets:
            needed = ({(m.group(1), m.group(2)) for m in _QUERY_TABLES.finditer(target.query)}
                      if target.query else {(target.schema, target.table)})
            absent = sorted(f"{s}.{t}" for s, t in needed if (s, t) not in existing)
            if absent:
                label = f"{target.name} (needs {', '.join(absent)})" if target.query else target.name
                missing.append((suite, label))
            else:
                plan.append(_Planned(suite, target))
    return plan, missing


def _missing_outcomes(missing: list[tuple[SuiteDef, str]], layer: str) -> list[TargetOutcome]:
    now = datetime.now(UTC)
    return [
        TargetOutcome(
            suite.layer, suite.group, suite.name, asset, "not_built", now, now,
            [ExpectationOutcome(
                NOT_BUILT, WARNING, False, description=f"{asset} is not built: its suite was skipped",
                observed_value="not built",
            )],
        )
        for suite, asset in missing
    ]


# ---------------------------------------------------------------------------------------------
# running GX


def _sqlalchemy_url(dsn: str) -> str:
    return re.sub(r"^postgres(ql)?(\+[a-z0-9]+)?://", "postgresql+psycopg2://", dsn)


def open_context(work_dir: Path, suite_names: set[str] | None = None, targets: list[Target] = ()):
    """A fresh working copy of the committed GX context under work_dir, with the suites this run
    uses (all when suite_names is None), so the run's Data Docs list only what it checked.

    The run's table/query assets are written into the copy's great_expectations.yml in one go:
    adding them one by one through the API rewrites the whole file each time (quadratic; it was
    half of the validation time with 80 tables)."""
    import great_expectations as gx
    import yaml

    if work_dir.exists():
        shutil.rmtree(work_dir)
    shutil.copytree(GX_DIR, work_dir / "gx", ignore=shutil.ignore_patterns("uncommitted", "__pycache__"))
    if suite_names is not None:
        for path in (work_dir / "gx" / "expectations").glob("*.json"):
            if path.stem not in suite_names:
                path.unlink()
    config_file = work_dir / "gx" / "great_expectations.yml"
    config = yaml.safe_load(config_file.read_text())
    warehouse = config["fluent_datasources"]["warehouse"]
    warehouse.setdefault("id", str(uuid.uuid4()))
    warehouse["assets"] = {t.name: _asset_config(t) for t in targets}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return gx.get_context(mode="file", project_root_dir=str(work_dir))


def _asset_config(target: Target) -> dict[str, Any]:
    asset: dict[str, Any] = {
        "type": "query" if target.query else "table",
        "id": str(uuid.uuid4()),
        "batch_metadata": {},
        "batch_definitions": {"whole_table": {"id": str(uuid.uuid4()), "partitioner": None}},
    }
    if target.query:
        asset["query"] = target.query
    else:
        asset.update(table_name=target.table, schema_name=target.schema)
    return asset


@dataclass
class _Previous:
    row_counts: dict[tuple[str, str], int]
    partitions: dict[tuple[str, str, str], dict]

    def parameters(self, suite: SuiteDef, target: Target, conn: psycopg.Connection) -> dict[str, Any]:
        """Suite parameters of one validation: the row-count band and the baseline distributions."""
        params: dict[str, Any] = _row_count_band(self.row_counts.get((suite.name, target.name)))
        for exp in suite.gx_suite().expectations:
            partition = getattr(exp, "partition_object", None)
            if isinstance(partition, dict) and "$PARAMETER" in partition:
                column = exp.column
                params[partition["$PARAMETER"]] = (self.partitions.get((suite.name, target.name, column))
                                                   or _current_partition(conn, target, column))
        return params


def _current_partition(conn: psycopg.Connection, target: Target, column: str) -> dict:
    found = conn.execute(
        f'select "{column}"::text, count(*) from {target.relation} where "{column}" is not null '  # noqa: S608
        "group by 1 order by 1"
    ).fetchall()
    total = sum(n for _, n in found) or 1
    return {"values": [v for v, _ in found], "weights": [n / total for _, n in found]}


def _run_gx(dsn: str, work_dir: Path, run_id: str, plan: list[_Planned],
            previous: _Previous, conn: psycopg.Connection) -> list[TargetOutcome]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    os.environ[DSN_ENV] = _sqlalchemy_url(dsn)
    # GX nags about schema_name (we do pass it: one datasource serves every schema) and about the
    # generic SQL datasource (chosen on purpose: it accepts any PostgreSQL URL, sockets included).
    warnings.filterwarnings("ignore", message=".*schema_name. is deprecated.*")
    warnings.filterwarnings("ignore", message=".*generic SQLDatasource.*")
    context = open_context(work_dir, {item.suite.name for item in plan}, [item.target for item in plan])
    datasource = context.data_sources.get("warehouse")
    gx_run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
    outcomes: list[TargetOutcome] = []
    for item in plan:
        suite, target = item.suite, item.target
        started = datetime.now(UTC)
        try:
            gx_suite = context.suites.get(suite.name)
            batch = datasource.get_asset(target.name).get_batch_definition("whole_table")
            vd = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{suite.name}@{target.name}", data=batch, suite=gx_suite))
            result = vd.run(
                run_id=gx_run,
                expectation_parameters=previous.parameters(suite, target, conn),
                result_format={"result_format": "SUMMARY", "unexpected_index_column_names": list(target.id_columns),
                               "partial_unexpected_count": SAMPLE_SIZE},
            )
            results = [_outcome(r.to_json_dict(), target, conn) for r in result.results]
            status = "validated"
        except Exception as exc:  # a broken suite/table must be visible, never skipped
            log.exception("validation of %s on %s crashed", suite.name, target.name)
            results = [ExpectationOutcome("funnelhouse_validation_ran", CRITICAL, False,
                                          description="the validation itself ran",
                                          exception=f"{type(exc).__name__}: {exc}")]
            status = "error"
        outcomes.append(TargetOutcome(suite.layer, suite.group, suite.name, target.name, status,
                                      started, datetime.now(UTC), results))
    return outcomes


def _row_count_band(previous: int | None) -> dict[str, float | None]:
    if previous is None:
        return {ROW_COUNT_MIN: 0, ROW_COUNT_MAX: None}
    return {ROW_COUNT_MIN: math.ceil(previous * (1 - ROW_COUNT_DROP)),
            ROW_COUNT_MAX: math.floor(previous * (1 + ROW_COUNT_GROWTH))}


def _outcome(d: dict, target: Target, conn: psycopg.Connection) -> ExpectationOutcome:
    config = d.get("expectation_config") or {}
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k not in ("batch_id",)}
    result = d.get("result") or {}
    exc = d.get("exception_info") or {}
    out = ExpectationOutcome(
        expectation_type=config.get("type", "?"),
        severity=severity_of(config),
        success=bool(d.get("success")),
        column=kwargs.get("column") or (",".join(kwargs["column_list"]) if kwargs.get("column_list") else None),
        expectation_id=config.get("id"),
        description=config.get("description") or (config.get("meta") or {}).get("why"),
        kwargs=kwargs,
        exception=_exception_text(exc),
    )
    if isinstance(result.get("details"), dict) and "observed_partition" in result["details"]:
        out.details = result["details"]
    if "observed_value" in result:
        out.observed_value = result["observed_value"]
    elif "element_count" in result:
        out.observed_value = {k: result.get(k) for k in ("element_count", "unexpected_count", "missing_count")
                              if k in result}
    if out.expectation_type == "unexpected_rows_expectation":
        out.unexpected_count = int(result.get("observed_value") or 0)
        if not out.success and not out.exception:
            out.unexpected_sample = _sample_rows(conn, kwargs["unexpected_rows_query"], target)
    else:
        out.unexpected_count = result.get("unexpected_count")
        out.unexpected_percent = result.get("unexpected_percent")
        if not out.success:
            index = result.get("partial_unexpected_index_list") or []
            if index:
                out.unexpected_sample = [dict(row) for row in index[:SAMPLE_SIZE]]
            elif result.get("partial_unexpected_list"):
                out.unexpected_sample = [v if isinstance(v, dict) else {"value": v}
                                         for v in result["partial_unexpected_list"][:SAMPLE_SIZE]]
    if out.exception and out.success is False and out.observed_value is None:
        out.observed_value = "error"
    return out


def _exception_text(info: dict) -> str | None:
    """GX reports errors either directly or keyed by the metric that failed to resolve."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    messages = [v.get("exception_message") for v in info.values()
                if isinstance(v, dict) and v.get("raised_exception")]
    return "; ".join(sorted({m for m in messages if m})) or None


def _sample_rows(conn: psycopg.Connection, query: str, target: Target) -> list[dict]:
    """The first offending rows of a custom SQL check (its leading columns are the ids)."""
    sql = query.format(batch=target.relation)
    try:
        with conn.cursor() as cur:
            cur.execute(f"select * from ({sql}) unexpected limit {SAMPLE_SIZE}")  # noqa: S608 - our own SQL
            names = [c.name for c in cur.description]
            return [{n: _jsonable(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]
    except psycopg.Error as exc:
        return [{"error": f"could not sample rows: {str(exc).splitlines()[0]}"}]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
