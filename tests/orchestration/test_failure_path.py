"""Failure path: a critical Great Expectations failure on a (shadow) mart makes `publish` withhold the
run (audit.publications names the failure, `marts` is not touched, no report, no Asset event), the
DAG run fails and the failure callback notifies the configured webhook (HttpNotifier) and a real SMTP
server on loopback (SmtpNotifier)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from tests.orchestration.test_alerts import smtp_conn, smtp_server  # noqa: F401 - smtp_server is a fixture
from tests.support.airflow import dags_test, elt_env, sqlite_task_states, tail

LOG_DIR = PROJECT_ROOT / ".state" / "test-logs"


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], received
    server.shutdown()


def test_critical_failure_stops_before_publish(make_database, manifest_dir, tmp_path, webhook,
                                               smtp_server) -> None:  # noqa: F811 - the fixture
    from sandbox.server import start_sandbox
    from sandbox.world import generate

    port, received = webhook
    smtp_port, mails = smtp_server
    world = generate(seed=3, people=40, out_dir=tmp_path / "world")
    dsn = make_database("failpath")
    with start_sandbox(world) as servers:
        env = elt_env(tmp_path / "airflow", tmp_path / "state", tmp_path / "manifest", dsn, servers,
                      mini_dbt=True, FH_PLANT_DEFECT="true",
                      AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK=json.dumps(
                          {"conn_type": "http", "host": f"http://127.0.0.1:{port}/alerts/t0ken"}),
                      AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP=smtp_conn(smtp_port))
        log = LOG_DIR / "failure_path_dags_test.log"
        rc, seconds = dags_test(env, log, timeout=900)
    print(f"\nfailure-path run: {seconds:.0f}s")
    states = {k[0]: v["state"] for k, v in sqlite_task_states(tmp_path / "airflow").items() if k[1] in (-1, 0)}
    assert rc != 0, tail(log)
    assert states["validate_raw"] == "success", tail(log)
    # watcher mode (docs/orchestration.md): one producer builds, one task per model reports it and its tests
    assert states["dbt.funnel_conversion_build"] == "success" and states["dbt.dbt_producer_watcher"] == "success"
    assert states["validate_marts"] == "success", "the marts check reports; `publish` decides"
    assert states["publish"] == "failed", "nothing is published after a critical failure"
    assert not (tmp_path / "state" / "reports").exists(), "no report for a failed run"
    text = log.read_text(errors="replace")
    assert "conversion_rate" in text and "critical" in text.lower()
    # The failure callback fired: one line in the log and a POST to the webhook from the connection.
    assert "[funnelhouse] crm_funnel_elt: task publish failed" in text
    alerts = [a for a in received if a["funnelhouse"].get("task_id") == "publish"]
    assert alerts and "Withheld" in alerts[0]["text"]
    assert "t0ken" not in text, "the webhook URL (a secret) is never logged"
    subjects = [m["data"] for m in mails if "Subject: [funnelhouse] crm_funnel_elt: task publish failed" in m["data"]]
    assert subjects and "oncall@example.com" in mails[0]["to"], [m["data"][:300] for m in mails]
    # the DAG-run failure callback mails too
    assert any("Subject: [funnelhouse] crm_funnel_elt: run " in m["data"] for m in mails), [
        m["data"][:300] for m in mails]
    with psycopg.connect(dsn) as conn:
        failed = conn.execute("select count(*) from audit.expectation_results where not success "
                              "and severity = 'critical' and column_name = 'conversion_rate'").fetchone()[0]
        pub = conn.execute("select decision, failed_expectations::text from audit.publications").fetchall()
        live = conn.execute("select count(*) from pg_tables where schemaname = 'marts'").fetchone()[0]
    assert failed >= 1, "the failure is recorded for auditors"
    assert len(pub) == 1 and pub[0][0] == "withheld" and "conversion_rate" in pub[0][1]
    assert live == 0, "the defective shadow never became the live marts"
