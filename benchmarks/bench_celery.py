"""The same DAG run on CeleryExecutor against the local run (figures printed, never asserted).

  python benchmarks/bench_celery.py [--people 1000] [--dsn DSN] [--slots 2] [--keep DIR] [--log-level INFO]

One sandbox world (the compose test's size by default), served once on loopback, and the real dbt
project in both runs, each on a fresh warehouse database:
1. local: `airflow dags test crm_funnel_elt` (what `make run` does: one process, one task at a time);
2. Celery: PostgreSQL metadata DB, Redis, api-server, scheduler, dag-processor and two Celery workers
   of two slots each (`--slots`) on 127.0.0.1 (tests/support/airflow_cluster.py, as test_distributed.py),
   the run triggered through the REST API.
Reported: each DAG run's duration (its start_date to end_date in the metadata DB), the ratio (goal
<= 1.5x), task instances per worker, and where the Celery run's time went (task instances' own time,
queued-to-started waits, the node tasks after the producer). `--keep DIR` keeps the logs (each task
instance's log says how long its DAG file parse took at INFO: `--log-level INFO`). Needs `redis-server`
(make system-deps).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from funnelhouse.core.warehouse import EmbeddedWarehouse  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402
from sandbox.world import generate  # noqa: E402
from tests.support.airflow import DAG_ID, dags_test, elt_env  # noqa: E402
from tests.support.airflow_cluster import celery_cluster  # noqa: E402


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def _timeline(tis: list[dict]) -> str:
    """Where the Celery run's time went, from the task instances' own timestamps."""
    ran = [t for t in tis if t.get("start_date") and t.get("end_date")]
    work = sum(_seconds(t["start_date"], t["end_date"]) for t in ran)
    waits = sorted(_seconds(t["queued_when"], t["start_date"]) for t in ran if t.get("queued_when"))
    producer = next((t for t in ran if t["task_id"].endswith("dbt_producer_watcher")), None)
    line = f"task instances' own time {work:.1f}s in all"
    if waits:
        line += f"; queued to started: median {waits[len(waits) // 2]:.2f}s, p90 {waits[len(waits) * 9 // 10]:.2f}s"
    if producer:
        watchers = [t for t in ran if t["task_id"].endswith("_build")]
        line += f"; producer {_seconds(producer['start_date'], producer['end_date']):.1f}s"
        if watchers:
            last = max(watchers, key=lambda t: t["end_date"])
            line += (f", then {len(watchers)} node tasks until {_seconds(producer['end_date'], last['end_date']):.1f}s"
                     " after it")
    return line


def _fresh_database(base_dsn: str, name: str) -> str:
    server = base_dsn.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return f"{server}/{name}"


def _local_run(home: Path) -> tuple[float, int]:
    with sqlite3.connect(home / "airflow.db") as db:
        start, end = db.execute("select start_date, end_date from dag_run where dag_id = ? order by id desc limit 1",
                                (DAG_ID,)).fetchone()
        tis = db.execute("select count(*) from task_instance where dag_id = ?", (DAG_ID,)).fetchone()[0]
    return _seconds(str(start), str(end)), tis


def _compare(args: argparse.Namespace, work: Path, base: str) -> int:
    world = generate(seed=5, people=args.people, out_dir=work / "world")
    manifest = work / "manifest"
    with start_sandbox(world) as servers:
        local_env = elt_env(work / "local" / "airflow", work / "local" / "state", manifest,
                            _fresh_database(base, "bench_celery_local"), servers,
                            AIRFLOW__LOGGING__LOGGING_LEVEL=args.log_level)
        rc, process_seconds = dags_test(local_env, work / "local.log")
        if rc != 0:
            print(f"local run failed (exit {rc}); log tail:\n{(work / 'local.log').read_text()[-3000:]}")
            return 1
        local_seconds, local_tis = _local_run(work / "local" / "airflow")
        print(f"local  (airflow dags test): DAG run {local_seconds:6.1f}s, {local_tis} task instances "
              f"(process {process_seconds:.1f}s)", flush=True)

        celery_env = elt_env(work / "celery" / "airflow", work / "celery" / "state", manifest,
                             _fresh_database(base, "bench_celery_wh"), servers,
                             AIRFLOW__LOGGING__LOGGING_LEVEL=args.log_level)
        meta = _fresh_database(base, "bench_celery_meta")
        started = time.monotonic()
        with celery_cluster(celery_env, meta, work / "celery" / "logs", concurrency=args.slots) as cluster:
            cluster.wait_for_dag(DAG_ID)
            up = time.monotonic() - started
            idle = cluster.cpu_seconds()
            run = cluster.trigger_and_wait(DAG_ID, timeout=3600)
            tis = cluster.task_instances(DAG_ID, run["dag_run_id"])
            cpu = {name: used - idle.get(name, 0.0) for name, used in cluster.cpu_seconds().items()}
    if run["state"] != "success":
        failed = [(t["task_id"], t["map_index"], t["state"]) for t in tis if t["state"] != "success"]
        print(f"Celery run {run['state']}: {failed[:20]}")
        return 1
    celery_seconds = _seconds(run["start_date"], run["end_date"])
    hosts = Counter(t["hostname"] for t in tis)
    print(f"celery (2 workers x {args.slots} slots): DAG run {celery_seconds:6.1f}s, {len(tis)} task instances "
          f"{dict(hosts)} (cluster up and DAG parsed in {up:.0f}s)")
    print(f"celery: {_timeline(tis)}")
    print("celery: CPU seconds during the run: " + ", ".join(f"{n} {c:.1f}" for n, c in sorted(cpu.items(),
                                                                                          key=lambda x: -x[1])))
    print(f"Celery / local, {args.people:,}-person world, real dbt project: {celery_seconds:.1f}s / "
          f"{local_seconds:.1f}s = {celery_seconds / local_seconds:.2f}x (goal <= 1.5x)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=2, help="task slots per worker (worker_concurrency)")
    parser.add_argument("--dsn", help="a PostgreSQL to create the bench databases on (default: embedded)")
    parser.add_argument("--keep", type=Path, help="a folder to keep the runs' logs and Airflow homes in")
    parser.add_argument("--log-level", default="WARNING", help="Airflow's log level in both runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_celery_") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        embedded = None if args.dsn else EmbeddedWarehouse(work / "pg")
        try:
            return _compare(args, work, args.dsn or embedded.start())
        finally:
            if embedded is not None:
                embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
