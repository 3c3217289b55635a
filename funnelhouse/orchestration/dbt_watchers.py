"""One light Airflow task per dbt model and seed that reports the node *and* its tests (Cosmos watcher mode).

Cosmos' watcher mode runs the project as one `dbt build` (the producer) and renders, per tested node,
two watcher tasks: `<node>.run` (its status) and `<node>.test` (its tests' aggregated status). Each task
instance costs Airflow ~0.12 s of state updates and XCom reads whatever it watches (profiled at stop 33:
242 light tasks = 28 s of a 123 s DAG run), and Cosmos offers no BUILD watcher. So every model and seed
becomes one `<node>_build` task instead (a Cosmos node converter): green when the producer reported the
node built *and* all its tests passed, red naming which of the two failed, skipped when dbt skipped it.
Cleared or retried, it runs `dbt build --select <node>`: the node and its tests, as the producer did.

The producer still gets Cosmos' `tests_per_model` (TestBehavior.AFTER_EACH is kept for that) and pushes
`<node>_tests_status` once every test of a node reported; a test with several parents counts for each.
The producer's own reports are trimmed to what these tasks read: dbt_producer.py.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.exceptions import AirflowException
from cosmos.airflow.graph import _get_dbt_dag_task_group_identifier, create_task_metadata
from cosmos.config import RenderConfig
from cosmos.constants import DbtResourceType, TestBehavior
from cosmos.core.airflow import get_airflow_task
from cosmos.core.graph.entities import Task as TaskMetadata
from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
from cosmos.operators._watcher.state import get_xcom_val, is_dbt_node_status_success
from cosmos.operators.watcher import DbtRunWatcherOperator, DbtSeedWatcherOperator

TASK_SUFFIX = "build"
# the node's task metadata as Cosmos builds it when its tests get no task of their own
_NODE_ONLY = RenderConfig(test_behavior=TestBehavior.NONE)
# the logger Cosmos writes the producer's startup events to, at debug level only
_watcher_log = logging.getLogger("cosmos.operators._watcher.base")


class _WithTests:
    """Mixin for a Cosmos watcher sensor: the node's own status, then (if it has tests) its tests'."""

    base_cmd = ["build"]  # the retry / clear fallback: `dbt build --select <node>` (node + its tests)
    model_unique_id: str
    producer_task_id: str

    has_tests: bool

    def _log_startup_events(self, ti: Any) -> None:
        # An XCom read per task (~1 s per DAG run) for lines logged at debug level only.
        if _watcher_log.isEnabledFor(logging.DEBUG):
            super()._log_startup_events(ti)  # type: ignore[misc]

    def _get_node_status(self, ti: Any, context: Any) -> Any:
        status = super()._get_node_status(ti, context)  # type: ignore[misc]
        if not self.has_tests or not is_dbt_node_status_success(status):
            return status  # not reported yet, failed or skipped: the node's own status decides
        tests = get_xcom_val(ti, self.producer_task_id, get_tests_status_xcom_key(self.model_unique_id))
        if tests is None:
            return None  # built, tests still running: wait (or fall back, as Cosmos does, if the producer died)
        if not is_dbt_node_status_success(tests):
            raise AirflowException(f"dbt node '{self.model_unique_id}' was built but its tests finished with "
                                   f"status '{tests}'; the failing tests are in the log of task "
                                   f"'{self.producer_task_id}' (retrying this task runs `dbt build` for it)")
        return status


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
                        arguments={**meta.arguments, "has_tests": node.has_test},
                        extra_context=meta.extra_context)
    return get_airflow_task(task, dag, task_group)


NODE_CONVERTERS = {resource_type: build_watcher for resource_type in _CLASSES}
