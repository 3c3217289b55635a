"""A Celery worker renders crm_funnel_elt once and its forked task processes reuse it (dag_reuse.py),
unless the DAG file, the manifest or the environment changed since."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from funnelhouse.orchestration import dag_reuse
from funnelhouse.orchestration.dbt_render import ensure_manifest
from tests.support.airflow import airflow_base_env

# What a Celery worker does (celery_config.build_dags_once before its pool forks), then what each task
# process does (the supervisor forks; the task runner parses the DAG file with a DagBag).
WORKER_SCRIPT = r"""
import json, os, sys
from airflow import settings
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk.execution_time.supervisor import block_orm_access
from funnelhouse.orchestration import celery_config

celery_config.build_dags_once()
from funnelhouse.orchestration.dag_reuse import _built
worker_dag = next(dag for _, dag in _built.values() if dag.dag_id == "crm_funnel_elt")
dag_file = os.path.join(settings.DAGS_FOLDER, "crm_funnel_elt.py")

def task_process(env_change):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        block_orm_access()  # what the supervisor does in each task process before it parses
        os.environ.update(env_change)
        bag = BundleDagBag(dag_folder=dag_file, safe_mode=False, load_op_links=False,
                           bundle_path=settings.DAGS_FOLDER, bundle_name="dags-folder")
        dag = bag.dags["crm_funnel_elt"]
        os.write(write, json.dumps({"reused": dag is worker_dag, "tasks": len(dag.tasks),
                                    "schedule": str(dag.schedule), "errors": list(bag.import_errors)}).encode())
        os._exit(0)
    os.close(write)
    data = os.read(read, 1 << 16)
    os.waitpid(pid, 0)
    return json.loads(data)

print("RESULT" + json.dumps({
    "worker_tasks": len(worker_dag.tasks),
    "same": task_process({}),
    "supervisor_vars": task_process({"__AIRFLOW_SUPERVISOR_FD": "7", "_AIRFLOW_FORK_EXEC": "1",
                                     "CELERY_LOG_LEVEL": "20", "CELERY_LOG_FILE": ""}),
    "other_schedule": task_process({"FUNNELHOUSE_SCHEDULE": "@daily"}),
}))
"""


def test_not_enabled_builds_every_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dag_reuse, "_enabled", False)
    monkeypatch.setattr(dag_reuse, "_built", {})
    dag_file = tmp_path / "a_dag.py"
    dag_file.write_text("# a DAG file\n")
    built = [dag_reuse.built_dag(str(dag_file), object) for _ in range(2)]
    assert built[0] is not built[1]
    assert dag_reuse._built == {}


def test_enabled_reuses_until_an_input_or_the_environment_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(dag_reuse, "_enabled", True)
    monkeypatch.setattr(dag_reuse, "_built", {})
    dag_file, manifest = tmp_path / "a_dag.py", tmp_path / "manifest.json"
    dag_file.write_text("# a DAG file\n")
    manifest.write_text("{}")

    def build() -> object:
        return dag_reuse.built_dag(str(dag_file), object, [manifest])

    first = build()
    assert build() is first
    # what the supervisor sets in each task process does not count
    monkeypatch.setenv("_AIRFLOW_FORK_EXEC", "1")
    monkeypatch.setenv("CELERY_LOG_LEVEL", "20")
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "airflow-db-not-allowed:///")
    assert build() is first
    monkeypatch.setenv("FUNNELHOUSE_SCHEDULE", "@daily")
    with caplog.at_level(logging.WARNING, logger=dag_reuse.__name__):
        second = build()
    assert "changed since the worker built it: FUNNELHOUSE_SCHEDULE" in caplog.text
    assert "@daily" not in caplog.text  # names, never values
    assert second is not first
    assert build() is second
    manifest.write_text('{"nodes": {}}')  # a new manifest (size and mtime change)
    third = build()
    assert third is not second
    os.utime(dag_file, ns=(1, 1))  # an edited DAG file
    assert build() is not third


def test_celery_task_processes_get_the_worker_dag(manifest_dir: Path, tmp_path: Path) -> None:
    env = airflow_base_env(tmp_path / "home", manifest_dir, FUNNELHOUSE_SCHEDULE="none")
    ensure_manifest(out_dir=manifest_dir)
    result = subprocess.run([sys.executable, "-c", WORKER_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=300)
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(line[len("RESULT"):])
    assert data["worker_tasks"] > 100
    assert data["same"] == {"reused": True, "tasks": data["worker_tasks"], "schedule": "None", "errors": []}
    assert data["supervisor_vars"]["reused"] is True
    # another setting: rendered again in the task process, with that setting
    assert data["other_schedule"]["reused"] is False
    assert data["other_schedule"]["schedule"] == "@daily"
    assert data["other_schedule"]["tasks"] == data["worker_tasks"]
