"""One light Airflow task per dbt model and seed that reports the node *and* its tests (Cosmos watcher mode).

Cosmos' watcher mode runs the project as one `dbt build` (the producer) and renders, per tested node,
two watcher tasks: `<node>.run` (its status) and `<node>.test` (its tests' aggregated status). Each task
instance costs Airflow ~0.12 s of state updates and XCom reads whatever it watches (profiled at stop 33:
242 light tasks = 28 s of a 123 s DAG run), and Cosmos offers no BUILD watcher. So every model and seed
becomes one `<node>_build` task instead (a Cosmos node converter): green when the producer reported the
node built *and* all its tests passed, red naming which of the two failed, skipped when dbt skipped it.
Cleared or retried, it runs `dbt build --select <node>`: the node and its tests, as the producer did.

The producer still gets Cosmos' `tests_per_model` (TestBehavior.AFTER_EACH is kept for that) and writes
each node's one report once the node and every one of its tests finished; a test with several parents
counts for each (dbt_reports.py, dbt_producer.py). A task reads that report, and the producer's state
only when the report is not there yet or on a retry: one XCom read per task where Cosmos' poke made
five. Only a task that runs dbt itself (retried, cleared, or its producer died) prepares the warehouse
profile.
"""

from __future__ import annotations

from typing import Any

from airflow.exceptions import AirflowException
from airflow.sdk.exceptions import AirflowSkipException
from cosmos.airflow.graph import _get_dbt_dag_task_group_identifier, create_task_metadata
from cosmos.config import RenderConfig
from cosmos.constants import DbtResourceType, TestBehavior
from cosmos.core.airflow import get_airflow_task
from cosmos.core.graph.entities import Task as TaskMetadata
from cosmos.operators._watcher.state import _log_dbt_event, is_dbt_node_status_skipped, is_dbt_node_status_success
from cosmos.operators.watcher import DbtRunWatcherOperator, DbtSeedWatcherOperator

from funnelhouse.orchestration.dbt_render import prepare_dbt_profile
from funnelhouse.orchestration.dbt_reports import read_report
from funnelhouse.orchestration.lineage import start_task

TASK_SUFFIX = "build"
# the node's task metadata as Cosmos builds it when its tests get no task of their own
_NODE_ONLY = RenderConfig(test_behavior=TestBehavior.NONE)


class _WithTests:
    """Mixin for a Cosmos watcher sensor: judged by the node's one report (dbt_reports.py), which
    holds its own status and its tests'."""

    base_cmd = ["build"]  # the retry / clear fallback: `dbt build --select <node>` (node + its tests)
    model_unique_id: str
    producer_task_id: str
    has_tests: bool
    compiled_sql: str

    def poke(self, context: Any) -> bool:
        # One XCom read when the report is there (the usual first check); Cosmos' own poke reads the
        # producer's state and four keys. The state decides only without a report, or on a retry.
        ti = context["ti"]
        try_number = ti.try_number
        report = read_report(ti, self.producer_task_id, self.model_unique_id) if try_number == 1 else None
        if report is None:
            producer_state = self._get_producer_task_status(context)  # type: ignore[attr-defined]
            if try_number > 1 and (retried := self._handle_retry(try_number, producer_state, context)) is not None:  # type: ignore[attr-defined]
                return retried
            # read after the state: a producer that finished has written every report
            report = read_report(ti, self.producer_task_id, self.model_unique_id)
            if report is None:
                return self._handle_no_dbt_node_status(producer_state, try_number, context)  # type: ignore[attr-defined]
        return self._judge(report, context)

    def _judge(self, report: dict[str, Any], context: Any) -> bool:
        _log_dbt_event(report.get("event"))
        if report.get("compiled_sql"):
            self.compiled_sql = report["compiled_sql"]
            if hasattr(self, "_override_rtif"):
                self._override_rtif(context)  # the Rendered Template tab shows the SQL dbt ran
        status, tests = report.get("status"), report.get("tests")
        if is_dbt_node_status_skipped(status):
            raise AirflowSkipException(f"dbt node '{self.model_unique_id}' was skipped by the dbt command.")
        if not is_dbt_node_status_success(status):
            raise AirflowException(f"dbt node '{self.model_unique_id}' finished with status '{status}'; see the log "
                                   f"of task '{self.producer_task_id}' (retrying this task runs `dbt build` for it)")
        if tests in (None, "pass"):
            return True
        failed = ", ".join(report.get("failed_tests") or []) or "none reported"
        raise AirflowException(f"dbt node '{self.model_unique_id}' was built but its tests finished with status "
                               f"'{tests}' (failed or not run: {failed}); the failing tests are in the log of task "
                               f"'{self.producer_task_id}' (retrying this task runs `dbt build` for it)")

    def _fallback_to_non_watcher_run(self, try_number: int, context: Any) -> bool:
        prepare_dbt_profile(context)  # only a task that runs dbt itself needs the warehouse
        return super()._fallback_to_non_watcher_run(try_number, context)  # type: ignore[misc]


# Each operator class keeps its own __init__: Airflow's operator metaclass wraps the __init__ of every
# operator class it creates (apply_defaults); a mixin's plain __init__ fails the DAG's import.
class ModelBuildWatcher(_WithTests, DbtRunWatcherOperator):
    """A model's `dbt build` outcome: the model ran and its tests passed."""

    def __init__(self, *, has_tests: bool = False, **kwargs: Any) -> None:
        # Polls in the worker only: Cosmos' WatcherTrigger (deferrable=True) knows a node's status or its
        # tests' status, not both, so this sensor must not defer.
        kwargs["deferrable"] = False
        super().__init__(**kwargs)
        self.has_tests = has_tests


class SeedBuildWatcher(_WithTests, DbtSeedWatcherOperator):
    """A seed's `dbt build` outcome: the seed loaded and its tests passed."""

    def __init__(self, *, has_tests: bool = False, **kwargs: Any) -> None:
        kwargs["deferrable"] = False  # as ModelBuildWatcher's
        super().__init__(**kwargs)
        self.has_tests = has_tests


_CLASSES = {DbtResourceType.MODEL: ModelBuildWatcher, DbtResourceType.SEED: SeedBuildWatcher}


def build_watcher(*, dag: Any, task_group: Any, node: Any, task_args: dict[str, Any], execution_mode: Any,
                  **_: Any) -> Any:
    """Cosmos node converter (RenderConfig.node_converters, by task group): the one task of `node`."""
    meta = create_task_metadata(node=node, execution_mode=execution_mode, args=task_args,
                                dbt_dag_task_group_identifier=_get_dbt_dag_task_group_identifier(dag, task_group),
                                render_config=_NODE_ONLY)
    cls = _CLASSES[node.resource_type]
    task = TaskMetadata(id=f"{node.name}_{TASK_SUFFIX}", owner=meta.owner,
                        operator_class=f"{cls.__module__}.{cls.__qualname__}",
                        # only the lineage reset up front: the warehouse profile (connection lookups, a
                        # login) is prepared when the task runs dbt itself (_fallback_to_non_watcher_run)
                        arguments={**meta.arguments, "has_tests": node.has_test, "on_execute_callback": start_task},
                        extra_context=meta.extra_context)
    return get_airflow_task(task, dag, task_group)


NODE_CONVERTERS = {resource_type: build_watcher for resource_type in _CLASSES}
