"""Failure callbacks: the message names the DAG, task, run and error; notifications go to a real HTTP
webhook and a real SMTP server on loopback, configured only through AIRFLOW_CONN_* variables; a broken
channel never raises and never leaks its secret."""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from funnelhouse.orchestration import alerts


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], received
    server.shutdown()


@pytest.fixture
def smtp_server():
    """A minimal SMTP server (enough of RFC 5321 for smtplib.send_message)."""
    messages: list[str] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 localhost test\r\n")
            while line := self.rfile.readline():
                verb = line.decode().strip().split(" ")[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250 localhost\r\n")
                elif verb == "DATA":
                    self.wfile.write(b"354 go ahead\r\n")
                    data = []
                    while (row := self.rfile.readline()) not in (b".\r\n", b""):
                        data.append(row.decode())
                    messages.append("".join(data))
                    self.wfile.write(b"250 queued\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], messages
    server.shutdown()


def _context() -> dict:
    ti = SimpleNamespace(dag_id="crm_funnel_elt", task_id="validate_marts", map_index=-1, try_number=2,
                         log_url="http://localhost:8080/dags/crm_funnel_elt/runs/r1/tasks/validate_marts")
    return {"task_instance": ti, "task": SimpleNamespace(retries=3), "dag": SimpleNamespace(dag_id="crm_funnel_elt"),
            "run_id": "manual__2026-01-01",
            "exception": RuntimeError("critical expectation failed: rates in [0,1]\nmore")}


def test_message_names_everything_an_engineer_needs() -> None:
    msg = alerts.failure_message(_context())
    assert msg["text"] == ("[funnelhouse] crm_funnel_elt: task validate_marts failed (run manual__2026-01-01, "
                           "try 2): RuntimeError: critical expectation failed: rates in [0,1]")
    assert msg["log_url"].endswith("/tasks/validate_marts")
    dag_msg = alerts.failure_message({"dag_run": SimpleNamespace(dag_id="crm_funnel_elt", run_id="r9"),
                                      "reason": "task_failure"}, kind="dag_run")
    assert dag_msg["text"] == "[funnelhouse] crm_funnel_elt: run r9 failed: task_failure"


def test_callback_posts_to_webhook_and_mails(monkeypatch, webhook, smtp_server, caplog) -> None:
    port, received = webhook
    smtp_port, mails = smtp_server
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK", f"http://127.0.0.1:{port}/hooks/T0/B0/s3cr3t")
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
        "extra": {"from": "airflow@example.com", "to": "oncall@example.com,lead@example.com"}}))
    with caplog.at_level(logging.INFO, logger="funnelhouse.alerts"):
        alerts.on_task_failure(_context())
    assert received and received[0]["path"] == "/hooks/T0/B0/s3cr3t"
    assert received[0]["json"]["text"].startswith("[funnelhouse] crm_funnel_elt: task validate_marts failed")
    assert received[0]["json"]["funnelhouse"]["task_id"] == "validate_marts"
    assert len(mails) == 1 and "To: oncall@example.com, lead@example.com" in mails[0]
    assert "Subject: [funnelhouse] crm_funnel_elt: task validate_marts failed" in mails[0]
    assert "validate_marts failed" in caplog.text and "s3cr3t" not in caplog.text


def test_broken_channel_is_logged_without_secret(monkeypatch, caplog) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK", "http://127.0.0.1:9/hooks/s3cr3t-token")
    monkeypatch.delenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP", raising=False)
    with caplog.at_level(logging.INFO, logger="funnelhouse.alerts"):
        alerts.on_task_failure(_context())  # must not raise
    assert "could not notify via webhook" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_nothing_configured_means_log_only(monkeypatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP", raising=False)
    assert alerts.notify(alerts.failure_message(_context())) == []


@pytest.mark.parametrize(("conn", "url"), [
    (alerts.ConnInfo("https", "hooks.slack.com", None, "services/T/B/x"), "https://hooks.slack.com/services/T/B/x"),
    (alerts.ConnInfo("http", "127.0.0.1", 8080, "hook"), "http://127.0.0.1:8080/hook"),
    (alerts.ConnInfo("http", "https://example.com/a", None, ""), "https://example.com/a"),
    (alerts.ConnInfo("generic", "example.com", None, "", extra={"endpoint": "/x"}), "https://example.com/x"),
])
def test_webhook_url_forms(conn, url) -> None:
    assert alerts.webhook_url(conn) == url
