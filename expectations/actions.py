"""The Checkpoint action of a validation run: `AuditWriterAction` appends each validation's rows
to the warehouse schema `audit` (expectations/audit.py) as soon as GX has run it, converted by
expectations/outcomes.py, so a run that dies half-way still leaves the validations it made on record.

Data Docs are not an action here: GX's UpdateDataDocsAction renders the site once per validation
and recompiles its Jinja templates each time (marts, 27 validations: 19 s -> 76 s a run), so the
site is built once per run after the Checkpoints (expectations/docs.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal

import psycopg
from great_expectations.checkpoint import ValidationAction
from great_expectations.compatibility.pydantic import PrivateAttr

from expectations import audit
from expectations.outcomes import error_outcome, target_outcome
from expectations.plan import Planned
from expectations.results import TargetOutcome

log = logging.getLogger(__name__)


class AuditRecorder:
    """The run-wide state the audit writer needs and GX does not carry: the warehouse connection
    (for the audit rows and for sampling offending rows), which suite/target each validation
    result belongs to, when it started, and what has been written so far."""

    def __init__(self, conn: psycopg.Connection, run_id: str, dag_run_id: str | None, planned: list[Planned]):
        self.conn = conn
        self.run_id = run_id
        self.dag_run_id = dag_run_id
        self.planned = {(p.suite.name, p.target.name): p for p in planned}
        self.started: dict[str, datetime] = {}
        self.outcomes: list[TargetOutcome] = []

    def begin(self, item: Planned) -> None:
        self.started[item.name] = datetime.now(UTC)

    def recorded(self, item: Planned) -> bool:
        return any(o.suite == item.suite.name and o.asset == item.target.name for o in self.outcomes)

    def validated(self, suite_name: str, asset: str, result: dict, data_docs_path: str | None) -> TargetOutcome:
        """Convert and append one GX validation result (its JSON dict)."""
        item = self.planned.get((suite_name, asset))
        if item is None:
            raise KeyError(f"validation result of suite {suite_name} on {asset} belongs to no planned validation")
        started = self.started.get(item.name) or datetime.now(UTC)
        outcome = target_outcome(item.suite, item.target, started, datetime.now(UTC), result, self.conn)
        self.write([outcome], data_docs_path)
        return outcome

    def crashed(self, item: Planned, exc: BaseException, data_docs_path: str | None) -> TargetOutcome:
        outcome = error_outcome(item.suite, item.target, self.started.get(item.name) or datetime.now(UTC),
                                datetime.now(UTC), exc)
        self.write([outcome], data_docs_path)
        return outcome

    def write(self, outcomes: list[TargetOutcome], data_docs_path: str | None) -> None:
        audit.record(self.conn, self.run_id, self.dag_run_id, outcomes, data_docs_path)
        self.outcomes += outcomes


class AuditWriterAction(ValidationAction):
    """Append each validation result of the checkpoint to `audit.validation_runs` and
    `audit.expectation_results` (one transaction per validation)."""

    type: Literal["funnelhouse_audit"] = "funnelhouse_audit"
    name: str = "funnelhouse_audit"
    # The run's Data Docs site (an ordinary path, never a secret: this field is stored with the
    # checkpoint in the run's working copy of the GX context); None when the run builds none.
    data_docs_index: str | None = None
    _recorder: AuditRecorder | None = PrivateAttr(default=None)

    def __init__(self, recorder: AuditRecorder | None = None, **data):
        super().__init__(**data)
        self._recorder = recorder

    def run(self, checkpoint_result, action_context=None) -> dict:
        if self._recorder is None:
            raise RuntimeError(f"checkpoint action {self.name} has no audit recorder (it runs only inside validate())")
        written = []
        for result in checkpoint_result.run_results.values():
            asset = (result.meta.get("active_batch_definition") or {}).get("data_asset_name")
            outcome = self._recorder.validated(result.suite_name, asset, result.to_json_dict(), self.data_docs_index)
            written.append({"suite": outcome.suite, "asset": outcome.asset, "evaluated": outcome.evaluated,
                            "failed_critical": outcome.failed_critical, "failed_warning": outcome.failed_warning})
        return {"run_id": self._recorder.run_id, "written": written}
