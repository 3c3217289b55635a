"""After a full `funnelhouse run` (the embedded default, sandbox CRM) with real-looking secrets in the
environment, no secret appears in any file the run leaves in the state folder (logs, reports, Data
Docs, Airflow's logs and database, dbt artefacts) nor in the warehouse outside raw; the people's
emails appear only in raw_* and staging/intermediate. e2e tier: it runs the whole DAG."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.core.warehouse import EmbeddedWarehouse

PEOPLE = 60
SECRETS = {
    "SANDBOX_TOKEN": "pat-na1-7c1e9b42-5d3a-4f0e-9a6b-2f8d1c3e4b5a",  # the CRM token the extractors send
    "FUNNELHOUSE_BI_PASSWORD": "Bi-Pa55w0rd-q8Zr2LxT",
}
WEBHOOK_TOKEN = "xoxb-2718281828-T0kenS3cretW3bh00k"
SMTP_PASSWORD = "Smtp-S3cret-Pa55-91kQ"
# Schemas personal data may live in: what was extracted, and the models that resolve identities.
PERSONAL_DATA_SCHEMAS = ("raw_salesforce", "raw_hubspot", "raw_meta", "staging", "intermediate")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    from sandbox.world import generate

    root = tmp_path_factory.mktemp("scan")
    world = generate(seed=11, people=PEOPLE, out_dir=root / "world")
    state = root / "state"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SALESFORCE_", "HUBSPOT_", "WAREHOUSE_DSN", "FUNNELHOUSE_", "AIRFLOW"))}
    env.update(SECRETS, FUNNELHOUSE_STATE_DIR=str(state), SANDBOX_DATASET=str(world), FUNNELHOUSE_BI_USER="dash",
               AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK=json.dumps(
                   {"conn_type": "http", "host": f"http://127.0.0.1:9/hooks/{WEBHOOK_TOKEN}"}),
               AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP=f"smtp://alerts:{SMTP_PASSWORD}@127.0.0.1:9/?to=ops%40x.test")
    out = subprocess.run([sys.executable, "-m", "funnelhouse", "run"], env=env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=2400)
    wh = EmbeddedWarehouse(state / "pg")
    people = {json.loads(line)["person_key"].lower()
              for line in (world / "truth" / "people.jsonl").read_text().splitlines() if line.strip()}
    yield {"rc": out.returncode, "output": out.stdout + out.stderr, "state": state, "dsn": wh.dsn,
           "secrets": [*SECRETS.values(), WEBHOOK_TOKEN, SMTP_PASSWORD, wh.password], "people": people}
    wh.stop()


def _files(state: Path) -> list[Path]:
    """Everything the run wrote, but the server's own data folder and the two password files."""
    skip = {state / "pg" / "password", state / "pg" / "bi_password"}
    return [p for p in state.rglob("*") if p.is_file() and p not in skip and (state / "pg" / "pgdata") not in p.parents]


def test_run_succeeds(run) -> None:
    assert run["rc"] == 0, run["output"][-4000:]
    assert (run["state"] / "reports" / "latest" / "index.html").is_file()
    assert run["people"] and len(run["people"]) >= PEOPLE // 2


def test_no_secret_in_any_file_or_output(run) -> None:
    files = _files(run["state"])
    assert any(p.suffix == ".log" for p in files) and any("data_docs" in p.parts for p in files)
    leaks = []
    for path in files:
        data = path.read_bytes()
        leaks += [(str(path), s[:6] + "…") for s in run["secrets"] if s.encode() in data]
    leaks += [("console", s[:6] + "…") for s in run["secrets"] if s in run["output"]]
    assert leaks == []


def test_no_personal_data_in_files_and_outside_raw_staging(run) -> None:
    leaks = []
    for path in _files(run["state"]):
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        leaks += [(str(path), e) for e in run["people"] if e in text]
    assert leaks[:20] == []
    with psycopg.connect(run["dsn"]) as conn:
        tables = conn.execute("""select table_schema, table_name from information_schema.tables
                                 where table_schema not in ('pg_catalog', 'information_schema')""").fetchall()
        seen_in = set()
        for schema, table in tables:
            dump = conn.execute(f'select coalesce(string_agg(t::text, \' \'), \'\') from "{schema}"."{table}" t'
                                ).fetchone()[0].lower()
            if any(e in dump for e in run["people"]):
                seen_in.add(f"{schema}.{table}")
    outside = sorted(t for t in seen_in if t.split(".")[0] not in PERSONAL_DATA_SCHEMAS)
    assert outside == []
    assert any(t.startswith("raw_") for t in seen_in)  # the scan does see the emails where they belong
