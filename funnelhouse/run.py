"""`make run`: the whole pipeline on the embedded default, through the real Airflow DAG.

In sandbox mode (no CRM credentials) this process generates the sandbox world if needed and serves
it on loopback while `airflow dags test crm_funnel_elt` runs; the DAG sees ordinary Salesforce and
HubSpot settings in its environment, exactly as it would in production.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from funnelhouse.core import warehouse
from funnelhouse.core.settings import Settings, mask_dsn
from funnelhouse.orchestration import metadata_db
from funnelhouse.orchestration.airflow_env import airflow_env
from funnelhouse.orchestration.dbt_render import ensure_manifest
from funnelhouse.summary import print_summary
from sandbox.serving import serve_world

DAG_ID = "crm_funnel_elt"


# What a person watching `make run` needs from Airflow's (very verbose) output: one line per dbt
# model built where dbt prints it (Cosmos' watcher producer logs only its summary, so then a heartbeat),
# and anything that went wrong. Everything is kept in the run's log file.
_MODEL_BUILT = re.compile(r"OK created \S+ (?:\S+ )?model (\S+)")
_TROUBLE = re.compile(r"\[error|Traceback|\bERROR\b(?!=0)|\bFAIL\b|Failure in|up_for_retry|failed", re.I)
# (OpenLineage's dbt processor warns, with the node's whole config -- `'severity': 'ERROR'` included --
# about every singular test it cannot attach to a model: not trouble)
_NOISE = re.compile(r"No tasks to run|Skipping registering|ERROR=0|Model node connected to test")


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
                so_far = f"{built} models built so far; " if built else ""
                print(f"  ... running ({so_far}full log: {log_file})", flush=True)
            else:
                continue
            last_beat = time.monotonic()
        return proc.wait()


def run_pipeline(settings: Settings, fresh: bool = False) -> int:
    started = time.monotonic()
    started_at = datetime.now(UTC)
    # In the background while the warehouse starts and the world is generated: Airflow's metadata DB
    # migration and `dbt parse` (both subprocesses; neither needs the warehouse or the CRM).
    migration = metadata_db.start(airflow_env(settings, None))
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="manifest")
    manifest = background.submit(ensure_manifest)
    try:
        dsn = warehouse.ensure_running(settings)
        where = f"embedded, {mask_dsn(dsn)}" if settings.embedded_warehouse else "external, WAREHOUSE_DSN"
        print(f"warehouse: {where}", flush=True)
        env = airflow_env(settings, dsn)
        with ExitStack() as stack:
            if settings.sandbox_mode:
                servers = stack.enter_context(serve_world(settings, fresh=fresh))
                env.update(servers.crm_env())
                print(f"sandbox CRM: Salesforce {servers.salesforce_url}, HubSpot {servers.hubspot_url}, "
                      f"clock {servers.clock}", flush=True)
            if not manifest.done():
                print("dbt: parsing the project (manifest for the DAG's per-model tasks)", flush=True)
            manifest.result()
            print("airflow: metadata database " + ("current" if migration.process is None else "migrating"),
                  flush=True)
            if not migration.wait():
                print("airflow db migrate failed; run it by hand with AIRFLOW_HOME=" + env["AIRFLOW_HOME"],
                      file=sys.stderr)
                return 1
            log_file = settings.paths.logs / f"run-{started_at:%Y%m%dT%H%M%SZ}.log"
            print(f"airflow: running DAG {DAG_ID} (airflow dags test; full log: {log_file})", flush=True)
            rc = run_dag_with_progress(env, log_file)
    finally:
        migration.wait()  # never leave a half-done migration behind (a no-op once it finished)
        background.shutdown(wait=True)
    print_summary(dsn, settings, seconds=time.monotonic() - started, dag_ok=rc == 0, since=started_at)
    return rc
