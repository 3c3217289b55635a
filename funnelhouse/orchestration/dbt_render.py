"""How the dbt project becomes Airflow tasks (Astronomer Cosmos), without work at DAG parse time.

Cosmos renders the task graph from a `manifest.json` (LoadMode.DBT_MANIFEST), so parsing the DAG never
runs dbt. The manifest is *prepared* before Airflow starts — by `make manifest` / `make run` /
`make airflow`, the CLI (`funnelhouse run`, `funnelhouse airflow`, `funnelhouse manifest`), the image
build (Dockerfile) and the test fixtures — with `ensure_manifest()`: `dbt parse` once per project
*content* (a fingerprint of the project files, not mtimes, which git does not preserve), cached under
the state folder. A file lock serialises the first parse when several processes start together. The
DAG file only calls `prepared_manifest()`: a path check, failing with one clear line when missing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from funnelhouse.core.paths import StatePaths, dbt_project_dir
from funnelhouse.core.settings import load_settings
from funnelhouse.core.warehouse import ensure_running
from funnelhouse.dbt import profile_env
from funnelhouse.orchestration.connections import apply_connections
from funnelhouse.orchestration.lineage import start_task

PROJECT_NAME = "funnelhouse"
# Folders/files whose content defines the dbt graph; target/, logs/ and dbt_packages/ do not.
_GRAPH_INPUTS = ("dbt_project.yml", "packages.yml", "dependencies.yml", "selectors.yml",
                 "models", "seeds", "macros", "snapshots", "tests", "analyses")


def manifest_dir() -> Path:
    return StatePaths.from_env().dbt_manifest


def project_fingerprint(project_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in _GRAPH_INPUTS:
        root = project_dir / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in files:
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    digest.update(sys.version.encode())  # a dbt upgrade ships with a new venv; cheap insurance
    return digest.hexdigest()


def _dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt executable not found next to the Python interpreter or on PATH")
    return found


def ensure_manifest(project: Path | None = None, out_dir: Path | None = None) -> Path:
    """Path of a manifest.json matching the project's current content, running `dbt parse` if needed."""
    project_dir = project or dbt_project_dir()
    out_dir = out_dir or manifest_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / "manifest.json"
    stamp = out_dir / "fingerprint"
    fingerprint = project_fingerprint(project_dir)
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return manifest
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            return manifest  # another process parsed while we waited
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
            # `dbt parse` never connects; the profile's env_var() defaults are enough to render it.
            result = subprocess.run(
                [_dbt_executable(), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
                 "--target-path", tmp, "--log-path", tmp, "--quiet"],
                capture_output=True, text=True, env=env, cwd=project_dir, timeout=600,
            )
            if result.returncode != 0:
                detail = (result.stdout + result.stderr).strip().splitlines()[-20:]
                raise RuntimeError("dbt parse failed; the DAG cannot be rendered:\n" + "\n".join(detail))
            for name in ("manifest.json", "partial_parse.msgpack"):
                if (Path(tmp) / name).exists():
                    os.replace(Path(tmp) / name, out_dir / name)
        stamp.write_text(fingerprint)
    return manifest


class ManifestMissing(RuntimeError):
    """The DAG was parsed before the dbt manifest was prepared."""


def prepared_manifest(out_dir: Path | None = None) -> Path:
    """The prepared manifest.json, for the DAG file: no dbt, no hashing, just the path; one clear line
    (the message Airflow shows as the import error) when nothing prepared it."""
    manifest = (out_dir or manifest_dir()) / "manifest.json"
    if not manifest.is_file():
        raise ManifestMissing(f"dbt manifest not prepared: {manifest} does not exist; run `make manifest` "
                              "(or `funnelhouse manifest`) before starting Airflow")
    return manifest


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def mart_models(manifest: dict[str, Any]) -> list[str]:
    """Names of the models that materialise in schema `marts` (the public contract BI reads)."""
    names = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or node.get("package_name") != PROJECT_NAME:
            continue
        if node.get("config", {}).get("materialized") == "ephemeral":
            continue
        if node.get("schema") == "marts" or "marts" in node.get("fqn", [])[1:-1]:
            names.append(node["name"])
    return sorted(names)


def model_names(manifest: dict[str, Any]) -> list[str]:
    return sorted(n["name"] for n in manifest.get("nodes", {}).values()
                  if n.get("resource_type") == "model" and n.get("package_name") == PROJECT_NAME)


def prepare_dbt_profile(context: dict[str, Any] | None = None) -> None:
    """Point dbt's profile (FH_PG_* env vars read by dbt_project/profiles.yml) at the warehouse this
    worker can reach. Done at run time, in the task's own process, so the password never lands in the
    serialized DAG or the rendered-template UI. The warehouse may come from the Airflow connection
    `funnelhouse_warehouse` (connections.py)."""
    apply_connections(context)
    dsn = ensure_running(load_settings())
    os.environ.update(profile_env(dsn))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")


def prepare_dbt_task(context: dict[str, Any]) -> None:
    """on_execute_callback of the producer (the task that runs `dbt build`)."""
    start_task(context)
    prepare_dbt_profile(context)


# dbt vars come from the `prepare_run` task so every model of one run sees the same as-of time.
# The marts go to the shadow schema; `publish` swaps them in after validation (funnelhouse/publish.py).
DBT_VARS_TEMPLATE = {"as_of": "{{ ti.xcom_pull(task_ids='prepare_run')['as_of'] }}", "marts_schema": "marts__next"}


def cosmos_task_group_kwargs(manifest_path: Path, *, full_refresh: bool = False,
                             select: list[str] | None = None, project: Path | None = None) -> dict[str, Any]:
    """Arguments for `cosmos.DbtTaskGroup` in watcher mode: one producer task runs a single `dbt build`
    in-process (dbtRunner: dbt lives in Airflow's venv); one light task per model and seed
    (`<node>_build`, dbt_watchers.py) reports that node's status and its tests' from the producer's
    XCom. An engineer sees a single model, and retrying its task runs `dbt build` for that model alone.

    Tests that span several models are not detached: the producer's build runs each once, after all its
    parents, and it counts in the test status of every parent (so each parent's `<node>_build` task waits for it)."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    from funnelhouse.orchestration.dbt_watchers import NODE_CONVERTERS

    operator_args: dict[str, Any] = {
        "install_deps": False,  # packages (if any) are installed at image build, not per task
        # Cosmos runs dbt in a temporary copy of the project, deleted with its dbt.log after the task, so
        # nobody could ever read that debug file log. dbt's event logging (`_Logger.write_line`) was 19 %
        # of the producer's py-spy samples with it, 3 % without. The task log (info events) is unchanged.
        "dbt_cmd_global_flags": ["--log-level-file", "none"],
        "vars": dict(DBT_VARS_TEMPLATE),
        "on_execute_callback": prepare_dbt_task,
        "deferrable": False,
        "poke_interval": 2,
    }
    if full_refresh:
        operator_args["full_refresh"] = True
    project = project or dbt_project_dir()
    return {
        "project_config": ProjectConfig(
            dbt_project_path=project,
            manifest_path=manifest_path,
            project_name=PROJECT_NAME,
            partial_parse=True,
        ),
        "profile_config": ProfileConfig(
            profile_name=PROJECT_NAME,
            target_name="default",
            profiles_yml_filepath=project / "profiles.yml",
        ),
        "execution_config": ExecutionConfig(execution_mode=ExecutionMode.WATCHER,
                                            invocation_mode=InvocationMode.DBT_RUNNER),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # Mart Assets are emitted by `publish`, after the marts passed validation, not by dbt tasks.
            # (Here, not in operator_args: Cosmos sets every task's emit_datasets from the RenderConfig.
            # Left on, each watcher wrote an Asset event of its shadow/staging table, ~100 per run.)
            emit_datasets=False,
            # Watcher mode has no BUILD watcher (Cosmos refuses it: the producer's one `dbt build` runs
            # the tests). AFTER_EACH makes the producer aggregate each node's test results; the node
            # converters then render one `<node>_build` task per model and seed that reports both
            # (dbt_watchers.py) instead of Cosmos' `.run` + `.test` pair: ~110 light tasks, not ~250.
            test_behavior=TestBehavior.AFTER_EACH,
            node_converters=NODE_CONVERTERS,
            node_conversion_by_task_group=True,
            should_detach_multiple_parents_tests=False,
            select=select or [],
        ),
        "operator_args": operator_args,
    }


def run_watchers_after_producer(group: Any) -> None:
    """Order the watcher tasks of a rendered DbtTaskGroup after its producer (one `dbt build`).

    Cosmos starts the per-model watchers alongside the producer and lets them wait (deferred) for
    its XCom reports. `airflow dags test` (`make run`) runs one task at a time, in no fixed order: a
    watcher picked before the producer would wait for a build that never starts. So the producer
    becomes upstream of every first watcher; they then read a finished report at their first check.

    - First watchers also keep their outside upstream (validate_raw): all_done_min_one_success runs
      them once the producer finished, failed or not (a failed producer still reported every
      model: the failed one fails, the others succeed), but not when validate_raw failed.
    - The producer does not retry (a retried producer only skips); a failed model is retried by its
      own watcher, which then runs dbt for that model alone.
    - The producer becomes a FastProducer (dbt_producer.py): it reports only what the watchers read.
    - The producer's "done" gate must not hold the rest of the DAG back once every watcher is
      green (e.g. after such a retry), so it only waits for the producer to finish."""
    from airflow.sdk import TriggerRule
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    from funnelhouse.orchestration.dbt_producer import use_fast_producer

    tasks = {task.task_id: task for task in group.iter_tasks()}
    producer = next(t for t in tasks.values() if isinstance(t, DbtProducerWatcherOperator))
    use_fast_producer(producer)
    producer.retries = 0
    for task in tasks.values():
        if task is producer:
            continue
        if task.upstream_task_ids == {producer.task_id}:  # the done gate
            task.trigger_rule = TriggerRule.ALL_DONE
        elif not (task.upstream_task_ids & tasks.keys()):
            producer >> task
            task.trigger_rule = TriggerRule.ALL_DONE_MIN_ONE_SUCCESS
