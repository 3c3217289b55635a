"""Run the planned validations as GX Checkpoints whose action writes the audit rows.

One Checkpoint per validation (suite x table), because GX applies one `expectation_parameters`
dict and one `result_format` to every validation definition of a Checkpoint, and ours differ per
table: the row-count band and the mix baseline come from that table's previous run, and the
offending-row ids are that table's key columns. A validation that crashes (a table dropped
mid-run, a broken query) is recorded as a critical `error` outcome and the run goes on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import psycopg

from expectations.actions import AuditRecorder, AuditWriterAction
from expectations.outcomes import result_format
from expectations.plan import Planned, Previous
from expectations.results import TargetOutcome
from expectations.specs import touches_personal_data

log = logging.getLogger(__name__)


def run_checkpoints(context, recorder: AuditRecorder, planned: list[Planned], previous: Previous,
                    conn: psycopg.Connection, data_docs_index: str | None) -> list[TargetOutcome]:
    """Validate every planned target in `context` (expectations/context.py). Returns the outcomes
    in plan order; their audit rows are written as each validation ends, naming data_docs_index."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    datasource = context.data_sources.get("warehouse")
    # One GX run for the whole validation run: its results sit side by side in the site, as one run.
    gx_run = RunIdentifier(run_name=recorder.run_id, run_time=datetime.now(UTC))
    writer = AuditWriterAction(recorder, name="audit", data_docs_index=data_docs_index)
    for item in planned:
        recorder.begin(item)
        try:
            batch = datasource.get_asset(item.target.name).get_batch_definition("whole_table")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=item.name, data=batch, suite=context.suites.get(item.suite.name)))
            # Not added to the store first: Checkpoint.run() stores it itself and then runs this
            # very object, whose action holds the recorder (a stored copy would not).
            checkpoint = gx.Checkpoint(name=item.name, validation_definitions=[definition], actions=[writer],
                                       result_format=result_format(item.target, touches_personal_data(item.suite)))
            checkpoint.run(expectation_parameters=previous.parameters(item, conn), run_id=gx_run)
        except Exception as exc:  # a broken suite/table must be visible, never skipped
            log.exception("validation of %s on %s crashed", item.suite.name, item.target.name)
            if not recorder.recorded(item):
                recorder.crashed(item, exc, data_docs_index)
    by_name = {(o.suite, o.asset): o for o in recorder.outcomes}
    return [by_name[(item.suite.name, item.target.name)] for item in planned
            if (item.suite.name, item.target.name) in by_name]
