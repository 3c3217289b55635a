"""OpenLineage for the tasks whose datasets Airflow cannot see by itself.

The OpenLineage provider (apache-airflow-providers-openlineage) emits a START and a COMPLETE event for
every task. dbt tasks carry their inputs and outputs already: Cosmos parses the dbt artefacts of the
`dbt build` producer (every model, seed and source with its columns). An extract or a Great
Expectations task is a plain `@task`, so it reports what it read and wrote to Airflow's hook lineage
collector, which the provider turns into the event's inputs/outputs:

* `extract_{source}.extract[object]`: output `raw_<source>.<table>`;
* `validate_raw` / `validate_marts`: inputs, every table a suite validated (the shadow marts
  `marts__next.*` for `validate_marts`); outputs, the audit tables the results are written to.

Each task starts with a fresh collector (`start_task`, an `on_execute_callback` of every task).
Datasets are Airflow Asset URIs `postgres://host:port/db/schema/table`, which the postgres provider
translates to OpenLineage namespace `postgres://host:port` and name `db.schema.table`. Nothing is
reported when no lineage reader is configured (the collector is then a no-op).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from funnelhouse.core.raw import SCHEMAS, table_name
from funnelhouse.orchestration.assets import warehouse_authority

log = logging.getLogger("funnelhouse.lineage")

AUDIT_TABLES = ("audit.validation_runs", "audit.expectation_results")


def table_uri(qualified: str, authority: str | None = None) -> str:
    schema, _, table = qualified.partition(".")
    return f"postgres://{authority or warehouse_authority()}/{schema}/{table}"


def _report(inputs: Iterable[str], outputs: Iterable[str]) -> None:
    try:
        from airflow.sdk.lineage import get_hook_lineage_collector

        collector = get_hook_lineage_collector()
        authority = warehouse_authority()
        for qualified in inputs:
            collector.add_input_asset(context=collector, uri=table_uri(qualified, authority))
        for qualified in outputs:
            collector.add_output_asset(context=collector, uri=table_uri(qualified, authority))
    except Exception as exc:  # noqa: BLE001 - lineage is metadata; it must never fail the work it describes
        log.warning("funnelhouse: lineage not reported: %s", type(exc).__name__)


def start_task(context: Any = None) -> None:
    """`on_execute_callback`: a fresh hook lineage collector for this task. Airflow's collector is one
    per process; a worker runs each task in its own process, but `airflow dags test` (`make run`) runs
    every task in one, where the datasets of earlier tasks would otherwise be reported again."""
    try:
        from airflow.sdk import lineage as sdk_lineage

        sdk_lineage.get_hook_lineage_collector.cache_clear()
    except Exception:  # noqa: BLE001 - an Airflow without the cached getter: nothing to reset
        pass


def extract_lineage(source: str, object_name: str) -> str:
    """Report the raw table an extract task loaded; return its qualified name."""
    qualified = f"{SCHEMAS[source]}.{table_name(object_name)}"
    _report([], [qualified])
    return qualified


def validated_tables(result: Any, schema_map: dict[str, str] | None = None) -> list[str]:
    """The tables a validation result (tasks.validate's dict, or the runner's ValidationSummary) says
    it validated, physical names."""
    schema_map = schema_map or {}
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = {"outcomes": [dataclasses.asdict(o) for o in getattr(result, "outcomes", [])]}
    out: list[str] = []
    for outcome in (result or {}).get("outcomes") or []:
        asset = str(outcome.get("asset") or "")
        if outcome.get("status") != "validated" or "." not in asset:
            continue
        schema, _, table = asset.partition(".")
        qualified = f"{schema_map.get(schema, schema)}.{table}"
        if qualified not in out:
            out.append(qualified)
    return out


def quality_lineage(result: Any, schema_map: dict[str, str] | None = None) -> list[str]:
    """Report what a Great Expectations task read (the validated tables) and wrote (audit)."""
    tables = validated_tables(result, schema_map)
    _report(tables, AUDIT_TABLES)
    return tables


@contextmanager
def reporting_quality(schema_map: dict[str, str] | None = None) -> Iterator[Callable[[Any], Any]]:
    """`with reporting_quality() as report: return report(tasks.validate(...))`: the lineage of a
    validation, reported also when a critical failure raises (the exception carries the summary)."""
    try:
        yield lambda result: (quality_lineage(result, schema_map), result)[1]
    except Exception as exc:
        summary = getattr(exc, "summary", None)
        if summary is not None:
            quality_lineage(summary, schema_map)
        raise
