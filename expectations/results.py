"""What a validation run found: one outcome per expectation, per validation (suite x table), per run.

These types are what `validate()` returns, what the audit writer stores (expectations/audit.py),
what the Data Docs panel and the CLI show, and what the DAG task raises on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from expectations.specs import CRITICAL, WARNING

NOT_BUILT = "funnelhouse_table_is_built"
VALIDATION_RAN = "funnelhouse_validation_ran"


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
            # names only (no sample values): the publish step's audit row says what withheld a run
            "failed_critical_expectations": [
                f"{t.suite} on {t.asset}: {r.expectation_type}" + (f" column {r.column}" if r.column else "")
                for t, r in self.critical_failures],
        }


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
