"""Running the real DAG in tests: an isolated AIRFLOW_HOME and state folder, the warehouse database of
the test, a sandbox served on loopback, `airflow dags test`, and readers of what Airflow recorded."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.orchestration.dbt_render import ensure_manifest

DAG_ID = "crm_funnel_elt"
MINI_DBT = Path(__file__).parent.parent / "orchestration" / "mini_dbt"
VENV_BIN = Path(sys.executable).parent


def airflow_base_env(home: Path, manifest_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for Airflow subprocesses: own home, the project's DAGs, quiet, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__", "PYTEST_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # The watcher producer never retries (dbt_render.run_watchers_after_producer), so the per-node
        # Airflow Variable backup of its reports (one metadata-DB write per dbt node) buys nothing.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        # A cold manifest means `dbt parse` inside the first DAG import; on a loaded 2-core machine
        # that can exceed Airflow's default 30 s import timeout.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
        "FUNNELHOUSE_DBT_MANIFEST_DIR": str(manifest_dir),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "PATH": str(VENV_BIN) + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    env.update(extra)
    return env


def run_airflow(args: list[str], env: dict[str, str], timeout: float = 900, check: bool = True,
                log: Path | None = None) -> subprocess.CompletedProcess:
    out = open(log, "w") if log else subprocess.PIPE  # noqa: SIM115 - closed below
    try:
        result = subprocess.run([str(VENV_BIN / "airflow"), *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout)
    finally:
        if log:
            out.close()
    if check and result.returncode != 0:
        text = log.read_text() if log else result.stdout
        raise AssertionError(f"airflow {' '.join(args)} exited {result.returncode}:\n{text[-6000:]}")
    return result


def elt_env(home: Path, state_dir: Path, manifest_dir: Path, dsn: str, servers, mini_dbt: bool = False,
            **extra: str) -> dict[str, str]:
    env = airflow_base_env(home, manifest_dir)
    env.update({
        "WAREHOUSE_DSN": dsn,
        "FUNNELHOUSE_STATE_DIR": str(state_dir),
        **servers.crm_env(),  # the CRM settings pointing at the emulators, and the world's clock as as-of
        # A failing task fails the test run at once instead of waiting out exponential backoff.
        "FUNNELHOUSE_TASK_RETRIES": "0",
        # Cosmos keeps dbt's partial-parse cache per DAG id; tests running different dbt projects under
        # the same DAG id must not share it.
        "AIRFLOW__COSMOS__CACHE_DIR": str(state_dir / "cosmos"),
    })
    if mini_dbt:
        env["FUNNELHOUSE_DBT_PROJECT_DIR"] = str(MINI_DBT)
    env.update(extra)
    return env


def warm_manifest(env: dict[str, str]) -> None:
    """Render the dbt manifest before Airflow parses the DAG (what the Docker build does)."""
    project = Path(env["FUNNELHOUSE_DBT_PROJECT_DIR"]) if "FUNNELHOUSE_DBT_PROJECT_DIR" in env else None
    ensure_manifest(project, Path(env["FUNNELHOUSE_DBT_MANIFEST_DIR"]))


def dags_test(env: dict[str, str], log: Path, timeout: float = 1500) -> tuple[int, float]:
    log.parent.mkdir(parents=True, exist_ok=True)
    warm_manifest(env)
    run_airflow(["db", "migrate"], env, timeout=600)
    started = time.monotonic()
    result = run_airflow(["dags", "test", DAG_ID], env, timeout=timeout, check=False, log=log)
    return result.returncode, time.monotonic() - started


def _latest_run_id(db: sqlite3.Connection, dag_id: str) -> str:
    return db.execute("select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)).fetchone()[0]


def sqlite_task_states(home: Path, dag_id: str = DAG_ID) -> dict[tuple[str, int], dict]:
    """Task instances of the latest run from the SQLite metadata DB `airflow dags test` used."""
    with sqlite3.connect(home / "airflow.db") as db:
        run_id = _latest_run_id(db, dag_id)
        rows = db.execute("select task_id, map_index, state, hostname, try_number from task_instance "
                          "where dag_id = ? and run_id = ?", (dag_id, run_id)).fetchall()
    return {(t, m): {"state": s, "hostname": h, "run_id": run_id, "try_number": n} for t, m, s, h, n in rows}


def sqlite_xcom_keys(home: Path, task_id: str, dag_id: str = DAG_ID) -> list[str]:
    """The XCom keys `task_id` wrote in the latest run (SQLite metadata DB of `airflow dags test`)."""
    with sqlite3.connect(home / "airflow.db") as db:
        run_id = _latest_run_id(db, dag_id)
        return [k for (k,) in db.execute("select key from xcom where dag_id = ? and run_id = ? and task_id = ?",
                                         (dag_id, run_id, task_id))]


def reported_nodes(home: Path) -> list[str]:
    """Names of the dbt nodes the watcher producer wrote a report XCom for (dbt_reports.report_key)."""
    keys = sqlite_xcom_keys(home, "dbt.dbt_producer_watcher")
    return sorted(k.removesuffix("__report").split("__", 2)[2] for k in keys if k.endswith("__report"))


def watched_nodes(states: dict) -> list[str]:
    """Names of the dbt nodes with a `<node>_build` task, from sqlite_task_states (either key form)."""
    names = (k[0] if isinstance(k, tuple) else k for k in states)
    return sorted(n[len("dbt."):-len("_build")] for n in names if n.startswith("dbt.") and n.endswith("_build"))


def tail(path: Path, n: int = 80) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""
