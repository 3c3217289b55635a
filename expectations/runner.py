"""Run a layer's suites with Great Expectations, store the results for auditors, build Data Docs.

    summary = validate(dsn, "marts", dag_run_id=...)   # never raises for failed expectations
    raise_for_critical(summary)                         # the DAG task: a critical failure fails it

Each run works on a fresh copy of the committed GX context (expectations/gx/) under
`<state_dir>/quality/runs/<run_id>/` (expectations/context.py) and runs one GX Checkpoint per
validation (expectations/checkpoints.py) whose action appends its rows to the warehouse's
`audit` schema (expectations/actions.py); the run's Data Docs site is then built into
`<state_dir>/quality/data_docs/runs/<run_id>/` and copied to `.../data_docs/latest/`
(expectations/docs.py). The result types live in expectations/results.py.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from expectations import audit
from expectations.actions import AuditRecorder
from expectations.outcomes import not_built_outcomes
from expectations.plan import Previous, plan, unique_run_id
from expectations.results import (
    NOT_BUILT,
    CriticalExpectationFailed,
    ExpectationOutcome,
    TargetOutcome,
    ValidationSummary,
    describe_failure,
    raise_for_critical,
)
from expectations.suites import select
from funnelhouse.core.paths import StatePaths
from funnelhouse.core.settings import load_settings
from funnelhouse.core.warehouse import ensure_running

__all__ = ["NOT_BUILT", "CriticalExpectationFailed", "ExpectationOutcome", "TargetOutcome", "ValidationSummary",
           "describe_failure", "raise_for_critical", "validate"]

log = logging.getLogger(__name__)


def validate(
    dsn: Any,
    layer: str = "all",
    run_id: str | None = None,
    dag_run_id: str | None = None,
    data_docs: bool = True,
    suites: list[str] | None = None,
    state_dir: Path | None = None,
    schema_map: dict[str, str] | None = None,
) -> ValidationSummary:
    """Run the suites of `layer` ('raw', 'staging', 'marts', 'all', or several as 'staging,marts';
    `suites` narrows to suite or group names) against the warehouse; record results in `audit`; build Data Docs.

    `dsn` is a PostgreSQL URL or a funnelhouse Settings (then its warehouse is used). Failed
    expectations never raise here: call raise_for_critical(summary) to stop on critical ones.
    `schema_map` validates e.g. the shadow marts ({"marts": "marts__next"}) under their contract names.
    """
    dsn, state_dir = _resolve(dsn, state_dir)
    chosen = select(layer, suites)
    started, clock = datetime.now(UTC), time.monotonic()
    docs_root = StatePaths(state_dir).data_docs
    with psycopg.connect(dsn, autocommit=True) as conn:
        audit.ensure_schema(conn)
        run_id = unique_run_id(conn, run_id, layer, state_dir)
        planned, missing = plan(conn, chosen, schema_map)
        site_dir = docs_root / "runs" / run_id if data_docs and planned else None
        docs_index = str(site_dir / "index.html") if site_dir else None
        recorder = AuditRecorder(conn, run_id, dag_run_id, planned)
        outcomes: list[TargetOutcome] = []
        context = None
        if planned:
            from expectations.checkpoints import run_checkpoints
            from expectations.context import connect_gx, open_context

            connect_gx(dsn)
            context = open_context(StatePaths(state_dir).quality_runs / run_id, {p.suite.name for p in planned},
                                   [p.target for p in planned], site_dir=site_dir,
                                   schema_map=schema_map)
            outcomes = run_checkpoints(context, recorder, planned, Previous.load(conn), conn, docs_index)
        not_built = not_built_outcomes(missing, datetime.now(UTC))
        recorder.write(not_built, docs_index)
        summary = ValidationSummary(run_id, dag_run_id, layer, started, datetime.now(UTC), outcomes + not_built)
        if site_dir is not None:
            _build_docs(summary, context, docs_root)
    summary.seconds = time.monotonic() - clock
    log.info(summary.headline())
    return summary


def _build_docs(summary: ValidationSummary, context, docs_root: Path) -> None:
    from expectations import docs

    try:
        docs.publish(summary, context, docs_root)
    except Exception as exc:  # noqa: BLE001 - the audit rows are already written; the HTML must not fail the run
        log.exception("building Data Docs for run %s failed", summary.run_id)
        summary.data_docs_note = f"Data Docs not built: {type(exc).__name__}: {exc}"


def _resolve(dsn: Any, state_dir: Path | None) -> tuple[str, Path]:
    if isinstance(dsn, str):
        if state_dir is None:
            state_dir = load_settings().state_dir
        return dsn, Path(state_dir)
    return ensure_running(dsn), Path(state_dir or dsn.state_dir)
