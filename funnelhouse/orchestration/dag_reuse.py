"""The rendered DAG built once per Celery worker, not once per task instance.

Airflow's supervisor runs every task instance in a process forked from the worker, and that process
parses the DAG file before it runs the task. For `crm_funnel_elt` that parse renders the whole dbt
project with Cosmos: two reads of the 2.8 MB manifest and ~110 operators, 0.5-0.6 s of CPU, paid by
each of the run's 146 task instances (on two cores, the Celery run's largest cost after dbt itself).

So the Celery worker parses the DAG folder once before it forks its pool (`celery_config.py`,
`worker_init`), and a DAG file that builds through `built_dag` hands a task process the DAG its
worker built, as long as nothing it was built from changed: the DAG file, the inputs it names (the
manifest), the environment (the settings are environment only) but for what the supervisor itself
sets in each task process. Anything else, or any process that
did not call `enable()` (`airflow dags test`, the dag-processor, tests), builds the DAG as before.

Safe because each task process is a fork: what a task does to the DAG or its operators stays in its
own copy, and the worker's copy is never run."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

_enabled = False
_built: dict[str, tuple[Inputs, object]] = {}


def enable() -> None:
    """Keep what `built_dag` builds in this process (and so in every process forked from it)."""
    global _enabled
    _enabled = True


# What changes between the worker's parse and a task process's, and no DAG reads: the metadata DB (the
# supervisor's `block_orm_access` points it at `airflow-db-not-allowed:///`), the supervisor's
# per-process markers (`__AIRFLOW_SUPERVISOR_FD`, `_AIRFLOW_FORK_EXEC`: every name starting with `_`),
# and Celery's own logging variables (`CELERY_LOG_FILE`, `CELERY_LOG_LEVEL`, set after `worker_init`).
_SET_PER_TASK_PROCESS = frozenset({"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__SQL_ALCHEMY_CONN"})
_SET_PER_PROCESS_PREFIXES = ("_", "CELERY_")


@dataclass(frozen=True)
class Inputs:
    """What a DAG is built from: its file and named inputs (path, mtime, size), and the environment."""

    files: tuple[str, ...]
    env: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, dag_file: str, inputs: Sequence[Path]) -> Inputs:
        files = []
        for path in (Path(dag_file), *inputs):
            stat = path.stat()
            files.append(f"{path.resolve()}:{stat.st_mtime_ns}:{stat.st_size}")
        env = sorted((k, v) for k, v in os.environ.items()
                     if not k.startswith(_SET_PER_PROCESS_PREFIXES) and k not in _SET_PER_TASK_PROCESS)
        return cls(tuple(files), tuple(env))

    def changed(self, other: Inputs) -> list[str]:
        """Names (never values: they may be secrets) of what differs from `other`."""
        mine, theirs = dict(self.env), dict(other.env)
        names = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
        return (["files"] if self.files != other.files else []) + names


def built_dag(dag_file: str, build: Callable[[], T], inputs: Sequence[Path] = ()) -> T:
    """`build()`, or the DAG this process (or the worker it was forked from) built from the same
    file, inputs and environment."""
    if not _enabled:
        return build()
    now = Inputs.of(dag_file, inputs)
    path = os.path.realpath(dag_file)
    hit = _built.get(path)
    if hit is not None:
        if hit[0] == now:
            return hit[1]  # type: ignore[return-value]
        # a warning: each task process now pays the whole render again, until the worker restarts
        log.warning("%s rendered again (restart the worker to render it once): changed since the worker built it: "
                    "%s", dag_file, ", ".join(hit[0].changed(now)))
    dag = build()
    _built[path] = (now, dag)
    return dag
