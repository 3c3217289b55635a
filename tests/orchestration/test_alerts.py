"""Failure callbacks: the message names the DAG, task, run and error; notifications go to a real HTTP
webhook and a real SMTP server on loopback, configured only through AIRFLOW_CONN_* variables; a broken
channel never raises and never leaks its secret."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

# Importing Airflow configures its logging; do it before caplog attaches its handler.
import airflow.providers.http.notifications  # noqa: E402, F401
import airflow.providers.smtp.notifications.smtp  # noqa: E402, F401
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
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    messages: list[dict] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                             "data": envelope.content.decode("utf-8", "replace")})
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd's start() connects to its own port, so it cannot be 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, messages
    controller.stop()


def smtp_conn(port: int, **extra) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "airflow@example.com",
                                 "to": "oncall@example.com,lead@example.com", **extra}})


def webhook_conn(port: int, path: str = "/hooks/T0/B0/s3cr3t") -> str:
    return json.dumps({"conn_type": "http", "host": f"http://127.0.0.1:{port}{path}"})


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
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK", webhook_conn(port))
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP", smtp_conn(smtp_port))
    # INFO everywhere (Airflow's default level); at DEBUG urllib3 prints request paths, which the task
    # log's secrets masker covers (alerts._mask), not this stdlib capture.
    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="funnelhouse.alerts"):
        alerts.on_task_failure(_context())
    assert len(received) == 1 and received[0]["path"] == "/hooks/T0/B0/s3cr3t"
    assert received[0]["json"]["text"].startswith("[funnelhouse] crm_funnel_elt: task validate_marts failed")
    assert received[0]["json"]["funnelhouse"]["task_id"] == "validate_marts"
    assert len(mails) == 1 and sorted(mails[0]["to"]) == ["lead@example.com", "oncall@example.com"]
    assert mails[0]["from"] == "airflow@example.com"
    assert "Subject: [funnelhouse] crm_funnel_elt: task validate_marts failed" in mails[0]["data"]
    assert "failure notified via webhook, smtp" in caplog.text
    assert "validate_marts failed" in caplog.text and "s3cr3t" not in caplog.text


def test_broken_channels_are_logged_without_secret(monkeypatch, caplog) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK",
                       json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9/hooks/s3cr3t-token"}))
    monkeypatch.setenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": 9, "login": "alerts", "password": "pa55-s3cr3t",
        "extra": {"disable_ssl": True, "to": "oncall@example.com", "retry_limit": 1, "timeout": 2}}))
    with caplog.at_level(logging.INFO):
        alerts.on_task_failure(_context())  # must not raise
    assert "could not notify via webhook" in caplog.text
    assert "could not notify via smtp" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_nothing_configured_means_log_only(monkeypatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP", raising=False)
    assert alerts.notify(alerts.failure_message(_context())) == []
