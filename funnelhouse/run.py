"""`make run`: the whole pipeline on the embedded default, through the real Airflow DAG.

In sandbox mode (no CRM credentials) this process generates the sandbox world if needed and serves
it on loopback while `airflow dags test crm_funnel_elt` runs; the DAG sees ordinary Salesforce and
HubSpot settings in its environment, exactly as it would in production.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from funnelhouse.config import PROJECT_ROOT, Settings
from funnelhouse.summary import print_summary

DAG_ID = "crm_funnel_elt"


def airflow_env(settings: Settings, dsn: str) -> dict[str, str]:
    """Environment for the Airflow CLI: a project-local AIRFLOW_HOME and the project's DAGs."""
    home = settings.state_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.state_dir / "cosmos_cache"),
        # The first import may parse the dbt project; give it more than Airflow's 30 s default.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": env.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "180"),
        # A one-off `dags test` should fail fast: scheduled deployments keep their retries.
        "FUNNELHOUSE_TASK_RETRIES": env.get("FUNNELHOUSE_TASK_RETRIES", "0"),
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "WAREHOUSE_DSN": dsn,
        "FUNNELHOUSE_STATE_DIR": str(settings.state_dir),
        "PATH": venv_bin + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


def ensure_world(settings: Settings, fresh: bool = False) -> Path:
    """The sandbox dataset for SANDBOX_SEED/SANDBOX_PEOPLE, generated once and reused."""
    from sandbox.world import generate

    dataset = settings.sandbox.dataset_dir
    meta_file = dataset / "world.json"
    wanted = {"seed": settings.sandbox.seed, "people": settings.sandbox.people}
    if meta_file.exists() and not fresh:
        meta = json.loads(meta_file.read_text())
        if all(meta.get(k) == v for k, v in wanted.items()):
            return dataset
    if dataset.exists():
        shutil.rmtree(dataset)
    started = time.monotonic()
    print(f"generating sandbox world: seed={wanted['seed']} people={wanted['people']} -> {dataset}", flush=True)
    generate(seed=wanted["seed"], people=wanted["people"], out_dir=dataset)
    print(f"  generated in {time.monotonic() - started:.1f}s", flush=True)
    return dataset


def sandbox_env(servers) -> dict[str, str]:
    """CRM settings that point the unchanged extractors at the local emulators."""
    return {
        "SALESFORCE_INSTANCE_URL": servers.salesforce_url,
        "SALESFORCE_ACCESS_TOKEN": servers.token,
        "SALESFORCE_CA_FILE": str(servers.ca_file),
        "HUBSPOT_ACCESS_TOKEN": servers.token,
        "HUBSPOT_BASE_URL": servers.hubspot_url,
        "FUNNELHOUSE_AS_OF": servers.clock,
    }


def run_airflow(args: list[str], env: dict[str, str], quiet: bool = False) -> int:
    airflow = str(Path(sys.executable).parent / "airflow")
    out = subprocess.DEVNULL if quiet else None
    return subprocess.call([airflow, *args], env=env, stdout=out, stderr=out if quiet else None)


# What a person watching `make run` needs from Airflow's (very verbose) output: one line per dbt
# model built, and anything that went wrong. Everything is kept in the run's log file.
_MODEL_BUILT = re.compile(r"OK created \S+ (?:\S+ )?model (\S+)")
_TROUBLE = re.compile(r"\[error|Traceback|\bERROR\b(?!=0)|\bFAIL\b|Failure in|up_for_retry|failed", re.I)
_NOISE = re.compile(r"No tasks to run|Skipping registering|ERROR=0")


def run_dag_with_progress(env: dict[str, str], log_file: Path) -> int:
    """`airflow dags test` with its full output in `log_file` and short progress on the console."""
    airflow = str(Path(sys.executable).parent / "airflow")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    built = 0
    last_beat = time.monotonic()
    with log_file.open("w") as log, subprocess.Popen(
        [airflow, "dags", "test", DAG_ID], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if _NOISE.search(line):
                continue
            if match := _MODEL_BUILT.search(line):
                built += 1
                print(f"  dbt: built {match.group(1)} ({built} models so far)", flush=True)
            elif _TROUBLE.search(line):
                print("  ! " + line.rstrip()[:300], flush=True)
            elif time.monotonic() - last_beat > 30:
                print(f"  ... running ({built} models built so far; full log: {log_file})", flush=True)
            else:
                continue
            last_beat = time.monotonic()
        return proc.wait()


def run_pipeline(settings: Settings, fresh: bool = False) -> int:
    from funnelhouse import warehouse

    started = time.monotonic()
    started_at = datetime.now(UTC)
    dsn = warehouse.ensure_running(settings)
    where = f"embedded, {dsn}" if settings.embedded_warehouse else "external, WAREHOUSE_DSN"
    print(f"warehouse: {where}", flush=True)
    env = airflow_env(settings, dsn)
    with ExitStack() as stack:
        if settings.sandbox_mode:
            from sandbox.server import start_sandbox

            dataset = ensure_world(settings, fresh=fresh)
            servers = stack.enter_context(start_sandbox(dataset))
            env.update(sandbox_env(servers))
            print(f"sandbox CRM: Salesforce {servers.salesforce_url}, HubSpot {servers.hubspot_url}, "
                  f"clock {servers.clock}", flush=True)
        from funnelhouse.orchestration.dbt_render import ensure_manifest

        print("dbt: parsing the project (manifest for the DAG's per-model tasks)", flush=True)
        ensure_manifest()
        print("airflow: migrating metadata database", flush=True)
        if run_airflow(["db", "migrate"], env, quiet=True) != 0:
            print("airflow db migrate failed; run it by hand with AIRFLOW_HOME=" + env["AIRFLOW_HOME"], file=sys.stderr)
            return 1
        log_file = settings.state_dir / "logs" / f"run-{started_at:%Y%m%dT%H%M%SZ}.log"
        print(f"airflow: running DAG {DAG_ID} (airflow dags test; full log: {log_file})", flush=True)
        rc = run_dag_with_progress(env, log_file)
    print_summary(dsn, settings, seconds=time.monotonic() - started, dag_ok=rc == 0, since=started_at)
    return rc
