"""A failing dbt *test* in the DAG (watcher mode, one `<node>_build` task per model: dbt_watchers.py).

The producer's one `dbt build` builds `funnel_conversion` with duplicated rows (mini project, env
FH_PLANT_DUPLICATES), so the model's `unique` test fails while the model itself succeeds:
- without retries, the model's task fails naming its tests, the marts check never runs and `publish`
  withholds the run (BI keeps what it had);
- with one retry, the task's second try runs `dbt build --select funnel_conversion` (which the mini
  project builds clean), turns green and the run publishes unique rows.
"""

from __future__ import annotations

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from tests.support.airflow import (
    dags_test,
    elt_env,
    reported_nodes,
    sqlite_task_states,
    sqlite_xcom_keys,
    tail,
    watched_nodes,
)

LOG_DIR = PROJECT_ROOT / ".state" / "test-logs"
TASK = "dbt.funnel_conversion_build"


@pytest.mark.parametrize("retries", [0, 1])
def test_failing_dbt_test_fails_its_model_task(make_database, manifest_dir, tmp_path, retries: int) -> None:
    from sandbox.server import start_sandbox
    from sandbox.world import generate

    world = generate(seed=5, people=40, out_dir=tmp_path / "world")
    dsn = make_database(f"dbttestfail{retries}")
    with start_sandbox(world) as servers:
        env = elt_env(tmp_path / "airflow", tmp_path / "state", tmp_path / "manifest", dsn, servers,
                      mini_dbt=True, FH_PLANT_DUPLICATES="true", FUNNELHOUSE_TASK_RETRIES=str(retries),
                      FUNNELHOUSE_RETRY_DELAY_SECONDS="1")
        log = LOG_DIR / f"dbt_test_failure_{retries}.log"
        rc, seconds = dags_test(env, log, timeout=900)
    print(f"\ndbt-test-failure run (retries={retries}): {seconds:.0f}s")
    states = {k[0]: v for k, v in sqlite_task_states(tmp_path / "airflow").items() if k[1] in (-1, 0)}
    text = log.read_text(errors="replace")
    assert states["dbt.dbt_producer_watcher"]["state"] == "failed", "the one `dbt build` saw the failing test"
    assert states["dbt.stg_mini__stages_build"]["state"] == "success", "its upstream is unaffected"
    assert "dbt node 'model.funnelhouse.funnel_conversion' was built but its tests finished with status " \
           "'fail' (failed or not run: unique_funnel_conversion_from_stage)" in text, tail(log)
    # one report per node (dbt_reports.py), also when a test failed: no Cosmos per-node status keys
    assert reported_nodes(tmp_path / "airflow") == watched_nodes(states)
    keys = sqlite_xcom_keys(tmp_path / "airflow", "dbt.dbt_producer_watcher")
    per_node = [k for k in keys if k.startswith(("model__", "seed__", "test__"))]
    assert per_node and all(k.endswith("__report") for k in per_node), keys
    with psycopg.connect(dsn) as conn:
        decision = conn.execute("select decision, reason from audit.publications").fetchall()
        live = conn.execute("select count(*) from pg_tables where schemaname = 'marts'").fetchone()[0]
        if retries:
            rows, stages = conn.execute("select count(*), count(distinct from_stage) "
                                        "from marts.funnel_conversion").fetchone()
    if not retries:
        assert rc != 0 and states[TASK]["state"] == "failed", tail(log)
        assert states["validate_marts"]["state"] == "upstream_failed"
        assert [d for d, _ in decision] == ["withheld"] and "upstream task failed" in decision[0][1]
        assert live == 0, "nothing was published"
    else:
        assert rc == 0 and (states[TASK]["state"], states[TASK]["try_number"]) == ("success", 2), tail(log)
        assert "Retry attempt #1 – Running model 'model.funnelhouse.funnel_conversion'" in text
        # the retry is a `dbt build` of the node: its tests ran again, and passed this time
        assert "FAIL 2 unique_funnel_conversion_from_stage" in text
        assert "PASS unique_funnel_conversion_from_stage" in text
        assert states["publish"]["state"] == "success" and [d for d, _ in decision] == ["published"]
        assert rows == stages > 0, "the retried build replaced the duplicated rows before validation"
