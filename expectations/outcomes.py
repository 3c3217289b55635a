"""From GX validation results to Funnelhouse outcomes: severity, observed value, and the ids of the
first offending rows (GX gives sample values for column checks; for custom SQL checks we ask the
warehouse for the offending rows themselves)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import psycopg

from expectations.results import NOT_BUILT, VALIDATION_RAN, ExpectationOutcome, TargetOutcome
from expectations.specs import CRITICAL, WARNING, SuiteDef, Target, is_personal_data, severity_of

SAMPLE_SIZE = 20


def result_format(target: Target, personal_data: bool = False) -> dict[str, Any]:
    """What GX returns per expectation: counts plus the id columns of the first offending rows.
    On a suite that checks personal data, the ids only: no offending values at all."""
    fmt: dict[str, Any] = {"result_format": "SUMMARY", "unexpected_index_column_names": list(target.id_columns),
                           "partial_unexpected_count": SAMPLE_SIZE}
    if personal_data:
        fmt["exclude_unexpected_values"] = True
    return fmt


def pii_hash(value: Any) -> str | None:
    """A stable stand-in for a personal-data value in a sample (same value, same hash; never the value)."""
    if value is None:
        return None
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:16]


def _index_rows(index: Any) -> list[dict]:
    """GX's unexpected index list as rows: a list of dicts, or (with exclude_unexpected_values) one
    dict of id lists."""
    if isinstance(index, dict):
        index = [index]
    rows: list[dict] = []
    for item in index or []:
        if isinstance(item, dict) and item and all(isinstance(v, list) for v in item.values()):
            keys = list(item)
            rows += [dict(zip(keys, values, strict=False)) for values in zip(*item.values(), strict=False)]
        elif isinstance(item, dict):
            rows.append(dict(item))
    return [{k: (pii_hash(v) if is_personal_data(k) else v) for k, v in row.items()} for row in rows]


def target_outcome(suite: SuiteDef, target: Target, started: datetime, finished: datetime,
                   validation_result: dict, conn: psycopg.Connection) -> TargetOutcome:
    """One GX ExpectationSuiteValidationResult (as its JSON dict) as a validated TargetOutcome."""
    results = [expectation_outcome(r, target, conn) for r in validation_result.get("results") or []]
    return TargetOutcome(suite.layer, suite.group, suite.name, target.name, "validated", started, finished, results)


def error_outcome(suite: SuiteDef, target: Target, started: datetime, finished: datetime,
                  exc: BaseException) -> TargetOutcome:
    """A validation that crashed is a critical failure of its own, never a silent skip."""
    return TargetOutcome(suite.layer, suite.group, suite.name, target.name, "error", started, finished,
                         [ExpectationOutcome(VALIDATION_RAN, CRITICAL, False, description="the validation itself ran",
                                             exception=f"{type(exc).__name__}: {exc}")])


def not_built_outcomes(missing: list[tuple[SuiteDef, str]], now: datetime) -> list[TargetOutcome]:
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


def expectation_outcome(d: dict, target: Target, conn: psycopg.Connection) -> ExpectationOutcome:
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
            index = _index_rows(result.get("partial_unexpected_index_list"))
            if index:
                out.unexpected_sample = index[:SAMPLE_SIZE]
            elif result.get("partial_unexpected_list") and not is_personal_data(out.column):
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
            return [{n: pii_hash(v) if is_personal_data(n) else _jsonable(v) for n, v in zip(names, row, strict=True)}
                    for row in cur.fetchall()]
    except psycopg.Error as exc:
        return [{"error": f"could not sample rows: {str(exc).splitlines()[0]}"}]


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
