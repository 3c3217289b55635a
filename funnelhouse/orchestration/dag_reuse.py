"""The rendered DAG built once per Celery worker, not once per task instance.

Airflow's supervisor runs every task instance in a process forked from the worker, and that process
parses the DAG file before it runs the task. For `crm_funnel_elt` that parse renders the whole dbt
project with Cosmos: two reads of the 2.8 MB manifest and ~110 operators, 0.5-0.6 s of CPU, paid by
each of the run's 146 task instances (on two cores, the Celery run's largest cost after dbt itself).

So the Celery worker parses the DAG folder once before it forks its pool (`celery_config.py`,
`worker_init`), and a DAG file that builds through `built_dag` hands a task process the DAG its
worker built, as long as nothing it was built from changed: the DAG file, the inputs it names (the
manifest), the environment (the settings are environment only). Anything else, or any process that
did not call `enable()` (`airflow dags test`, the dag-processor, tests), builds the DAG as before.

Safe because each task process is a fork: what a task does to the DAG or its operators stays in its
own copy, and the worker's copy is never run."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_enabled = False
_built: dict[str, tuple[str, object]] = {}


def enable() -> None:
    """Keep what `built_dag` builds in this process (and so in every process forked from it)."""
    global _enabled
    _enabled = True


def fingerprint(dag_file: str, inputs: Sequence[Path]) -> str:
    """What the DAG is built from. Variables starting with `_` are left out: the supervisor sets its
    per-process ones (`__AIRFLOW_SUPERVISOR_FD`, `_AIRFLOW_FORK_EXEC`) in each task process."""
    parts = []
    for path in (Path(dag_file), *inputs):
        stat = path.stat()
        parts.append(f"{path.resolve()}:{stat.st_mtime_ns}:{stat.st_size}")
    env = sorted((k, v) for k, v in os.environ.items() if not k.startswith("_"))
    return hashlib.sha256(repr((parts, env)).encode()).hexdigest()


def built_dag(dag_file: str, build: Callable[[], T], inputs: Sequence[Path] = ()) -> T:
    """`build()`, or the DAG this process (or the worker it was forked from) built from the same
    file, inputs and environment."""
    if not _enabled:
        return build()
    key = fingerprint(dag_file, inputs)
    path = os.path.realpath(dag_file)
    hit = _built.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]  # type: ignore[return-value]
    dag = build()
    _built[path] = (key, dag)
    return dag
