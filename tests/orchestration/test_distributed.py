"""A real deployment, as docker-compose.yml runs it but on loopback: PostgreSQL metadata DB, Redis
(Debian's redis-server), api-server, scheduler, dag-processor and two Celery workers. The DAG is
triggered through the REST API like a person or a CI job would, succeeds, and its tasks ran on both
workers (task instance hostnames). The dbt part is the three-node project so the run stays short;
the full project runs in test_dag_e2e."""

from __future__ import annotations

import shutil
import time
from collections import Counter

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from tests.support.airflow import elt_env, warm_manifest
from tests.support.airflow_cluster import celery_cluster

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed")
LOG_DIR = PROJECT_ROOT / ".state" / "test-logs" / "celery"


def test_celery_run_via_rest_api_uses_both_workers(make_database, tmp_path) -> None:
    from sandbox.server import start_sandbox
    from sandbox.world import generate

    world = generate(seed=5, people=40, out_dir=tmp_path / "world")
    dsn = make_database("celery_wh")
    metadata = make_database("celery_meta")
    with start_sandbox(world) as servers:
        env = elt_env(tmp_path / "airflow", tmp_path / "state", tmp_path / "manifest", dsn, servers, mini_dbt=True)
        warm_manifest(env)
        with celery_cluster(env, metadata, LOG_DIR) as cluster:
            dag = cluster.wait_for_dag("crm_funnel_elt")
            assert dag["dag_id"] == "crm_funnel_elt"
            assert cluster.request("GET", "/api/v2/importErrors")["total_entries"] == 0
            started = time.monotonic()
            run = cluster.trigger_and_wait("crm_funnel_elt", timeout=1200)
            seconds = time.monotonic() - started
            tis = cluster.task_instances("crm_funnel_elt", run["dag_run_id"])
    print(f"\nCelery run (2 workers x 2 slots): {seconds:.0f}s for {len(tis)} task instances")
    states = Counter(ti["state"] for ti in tis)
    assert run["state"] == "success", f"{states}: " + str([(t["task_id"], t["map_index"], t["state"])
                                                         for t in tis if t["state"] != "success"])
    assert set(states) == {"success"}
    hosts = Counter(ti["hostname"] for ti in tis)
    assert set(hosts) == {"worker-a", "worker-b"}, hosts
    print(f"tasks per worker: {dict(hosts)}")
    # Whatever worker ran them, the tasks wrote one warehouse: marts published, audit rows recorded.
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from marts.funnel_conversion").fetchone()[0] > 0
        layers = {r[0] for r in conn.execute(
            "select distinct layer from audit.validation_runs where dag_run_id = %s", (run["dag_run_id"],))}
        assert layers == {"raw", "staging", "marts"}
    assert (tmp_path / "state" / "reports" / "latest" / "index.html").exists()
    # Each worker rendered the DAG once before forking, and no task process rendered it again (dag_reuse.py).
    for worker in ("worker-a", "worker-b"):
        assert "DAGs built once for this worker's task processes: ['crm_funnel_elt'" in \
            (LOG_DIR / f"{worker}.log").read_text(errors="replace")
    task_logs = list((tmp_path / "airflow" / "logs").rglob("*.log"))
    assert len(task_logs) >= len(tis)
    assert [p.name for p in task_logs if "rendered again" in p.read_text(errors="replace")] == []
