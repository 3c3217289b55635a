"""OpenLineage in a real Airflow run: `airflow dags test crm_funnel_elt` (sandbox world, the mini dbt
project) with the provider's file transport; the events of the extract, dbt and quality tasks name
their datasets (raw tables, the shadow marts, the audit tables). The run is configured through Airflow
connections only: no SALESFORCE_* / HUBSPOT_* / WAREHOUSE_DSN variable is set."""

from __future__ import annotations

import json
from collections import defaultdict
from urllib.parse import urlparse

from funnelhouse.core.settings import PROJECT_ROOT
from tests.orchestration.test_connections import conn_vars
from tests.support.airflow import dags_test, elt_env, sqlite_task_states, tail

LOG_DIR = PROJECT_ROOT / ".state" / "test-logs"


def test_lineage_events_name_the_datasets(make_database, tmp_path) -> None:
    from sandbox.server import start_sandbox
    from sandbox.world import generate

    world = generate(seed=4, people=40, out_dir=tmp_path / "world")
    dsn = make_database("lineage")
    db = urlparse(dsn)
    events_file = tmp_path / "openlineage.jsonl"
    with start_sandbox(world) as servers:
        env = elt_env(tmp_path / "airflow", tmp_path / "state", tmp_path / "manifest", dsn, servers, mini_dbt=True)
        for name in [n for n in env if n.startswith(("SALESFORCE_", "HUBSPOT_", "WAREHOUSE_DSN"))]:
            del env[name]
        env.update(conn_vars(servers, dsn))
        env.update({
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
                {"type": "file", "log_file_path": str(events_file), "append": True}),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "funnelhouse-test",
        })
        log = LOG_DIR / "lineage_dags_test.log"
        rc, seconds = dags_test(env, log, timeout=900)
    print(f"\nlineage run: {seconds:.0f}s")
    assert rc == 0, tail(log)
    states = sqlite_task_states(tmp_path / "airflow")
    assert all(v["state"] in ("success", "skipped") for v in states.values()), states
    text = log.read_text(errors="replace")
    assert servers.token not in text and (db.password or "\0") not in text, "no credential in the log"

    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    datasets: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"inputs": set(), "outputs": set()})
    extract_outputs: list[list[str]] = []
    for event in events:
        if event.get("eventType") != "COMPLETE" or "job" not in event:
            continue
        job = event["job"]["name"]
        for side in ("inputs", "outputs"):
            for ds in event.get(side) or []:
                datasets[job][side].add(f"{ds['namespace']}|{ds['name']}")
        if job.endswith(".extract"):
            extract_outputs.append([ds["name"] for ds in event.get("outputs") or []])
    namespace = f"postgres://{db.hostname}:{db.port}"
    database = db.path.lstrip("/")

    def names(job_suffix: str, side: str) -> set[str]:
        found = set()
        for job, sides in datasets.items():
            if job.endswith(job_suffix):
                found |= {d.split("|", 1)[1] for d in sides[side] if d.split("|", 1)[0] == namespace}
        return found

    extract_out = names("extract_salesforce.extract", "outputs") | names("extract_hubspot.extract", "outputs")
    assert {f"{database}.raw_salesforce.lead", f"{database}.raw_hubspot.contacts"} <= extract_out, dict(datasets)
    # each mapped extract task names exactly the one raw table it loaded (nothing carried over from
    # the tasks that ran before it in the same process)
    assert extract_outputs and all(len(out) == 1 for out in extract_outputs), extract_outputs
    assert not names("prepare_run", "outputs") and not names("source_freshness", "outputs")
    raw_checked = names("validate_raw", "inputs")
    assert f"{database}.raw_salesforce.lead" in raw_checked, dict(datasets)
    assert f"{database}.audit.expectation_results" in names("validate_raw", "outputs")
    dbt_out = set().union(*(names(job, "outputs") for job in datasets if ".dbt." in job))
    assert f"{database}.marts__next.funnel_conversion" in dbt_out, dict(datasets)
    assert f"{database}.marts__next.funnel_conversion" in names("validate_marts", "inputs"), dict(datasets)
