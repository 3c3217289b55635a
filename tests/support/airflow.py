"""Running the real DAG in tests: a sandbox world served on loopback, an isolated AIRFLOW_HOME and
state folder, the warehouse database of the test, and helpers to read back what Airflow recorded."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

import psycopg

from funnelhouse.orchestration.dbt_render import ensure_manifest
from orchestration.conftest import MINI_DBT, airflow_base_env, run_airflow

DAG_ID = "crm_funnel_elt"


def elt_env(home: Path, state_dir: Path, manifest_dir: Path, dsn: str, servers, mini_dbt: bool = False,
            **extra: str) -> dict[str, str]:
    env = airflow_base_env(home, manifest_dir)
    env.update({
        "WAREHOUSE_DSN": dsn,
        "FUNNELHOUSE_STATE_DIR": str(state_dir),
        "SALESFORCE_INSTANCE_URL": servers.salesforce_url,
        "SALESFORCE_ACCESS_TOKEN": servers.token,
        "SALESFORCE_CA_FILE": str(servers.ca_file),
        "HUBSPOT_ACCESS_TOKEN": servers.token,
        "HUBSPOT_BASE_URL": servers.hubspot_url,
        "FUNNELHOUSE_AS_OF": servers.clock,
        # A failing task fails the test run at once instead of waiting out exponential backoff.
        "FUNNELHOUSE_TASK_RETRIES": "0",
        # The first parse after a model change includes `dbt parse`; on a loaded 2-core machine that
        # can pass Airflow's default 30 s import timeout.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
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


def sqlite_task_states(home: Path, dag_id: str = DAG_ID) -> dict[tuple[str, int], dict]:
    """Task instances of the latest run from the SQLite metadata DB `airflow dags test` used."""
    with sqlite3.connect(home / "airflow.db") as db:
        run_id = db.execute("select run_id from dag_run where dag_id = ? order by id desc limit 1",
                            (dag_id,)).fetchone()[0]
        rows = db.execute("select task_id, map_index, state, hostname from task_instance "
                          "where dag_id = ? and run_id = ?", (dag_id, run_id)).fetchall()
    return {(t, m): {"state": s, "hostname": h, "run_id": run_id} for t, m, s, h in rows}


def table_digest(dsn: str, schema: str, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """md5 of every table's rows (sorted, text form) in a schema: equal digests = identical content."""
    out = {}
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s and table_type = 'BASE TABLE'",
            (schema,))]
        for table in tables:
            cols = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_schema=%s and table_name=%s "
                "order by ordinal_position", (schema, table)) if r[0] not in exclude]
            collist = ", ".join(f'"{c}"' for c in cols)
            rows = conn.execute(f'select {collist} from "{schema}"."{table}"').fetchall()
            digest = hashlib.md5(usedforsecurity=False)
            for line in sorted(repr(r) for r in rows):
                digest.update(line.encode())
            out[table] = f"{len(rows)}:{digest.hexdigest()}"
    return out


def counts(dsn: str, schemas: tuple[str, ...]) -> dict[str, int]:
    out = {}
    with psycopg.connect(dsn) as conn:
        for schema, table in conn.execute(
                "select table_schema, table_name from information_schema.tables where table_schema = any(%s) "
                "and table_type = 'BASE TABLE'", (list(schemas),)).fetchall():
            out[f"{schema}.{table}"] = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return out


def tail(path: Path, n: int = 80) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
