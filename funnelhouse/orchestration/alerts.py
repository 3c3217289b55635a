"""Failure callbacks: one clear log line for the engineer on call, plus a notification when one is
configured. Secrets (webhook URLs carry tokens, SMTP passwords) come from Airflow connections, i.e.
`AIRFLOW_CONN_FUNNELHOUSE_ALERTS_WEBHOOK` / `AIRFLOW_CONN_FUNNELHOUSE_ALERTS_SMTP` or a secrets backend,
never from code, and are never logged.

Notification is best effort: a broken webhook must not hide the failure it reports, so errors while
notifying are logged as warnings and swallowed.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

log = logging.getLogger("funnelhouse.alerts")

WEBHOOK_CONN_ID = "funnelhouse_alerts_webhook"
SMTP_CONN_ID = "funnelhouse_alerts_smtp"


@dataclass(frozen=True)
class ConnInfo:
    """The few connection fields we use, whether they came from Airflow or straight from the env var."""

    conn_type: str = ""
    host: str = ""
    port: int | None = None
    schema: str = ""
    login: str = ""
    password: str = ""
    extra: dict[str, Any] | None = None


def _first_line(exc: BaseException | None) -> str:
    if exc is None:
        return "no exception recorded"
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def failure_message(context: dict[str, Any], kind: str = "task") -> dict[str, Any]:
    """A structured description of a failed task (kind="task") or DAG run (kind="dag_run"), built from
    an Airflow callback context."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", "?")
    run_id = context.get("run_id") or getattr(dag_run, "run_id", "?")
    exc = context.get("exception")
    info: dict[str, Any] = {"dag_id": dag_id, "run_id": run_id}
    if kind == "task":
        info.update(
            kind="task",
            task_id=getattr(ti, "task_id", "?"),
            map_index=getattr(ti, "map_index", -1),
            try_number=getattr(ti, "try_number", None),
            max_tries=getattr(context.get("task"), "retries", None),
            error=_first_line(exc),
        )
        try:
            info["log_url"] = ti.log_url
        except Exception:  # noqa: BLE001 - the URL is a convenience; its absence must not break alerting
            pass
        where = f"task {info['task_id']}" + (f"[{info['map_index']}]" if info["map_index"] not in (-1, None) else "")
        tries = f", try {info['try_number']}" if info.get("try_number") else ""
        info["text"] = f"[funnelhouse] {dag_id}: {where} failed (run {run_id}{tries}): {info['error']}"
    else:
        reason = context.get("reason") or _first_line(exc)
        info.update(kind="dag_run", error=reason)
        info["text"] = f"[funnelhouse] {dag_id}: run {run_id} failed: {reason}"
    return info


def _conn_from_env(conn_id: str) -> ConnInfo | None:
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}", "").strip()
    if not raw:
        return None
    if raw.startswith("{"):
        data = json.loads(raw)
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        return ConnInfo(data.get("conn_type", ""), data.get("host", ""), data.get("port"), data.get("schema", ""),
                        data.get("login", ""), data.get("password", ""), extra)
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(raw)
    return ConnInfo(
        conn_type=parts.scheme.replace("-", "_"),
        host=unquote(parts.hostname or ""),
        port=parts.port,
        schema=unquote(parts.path.lstrip("/")),
        login=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        extra=dict(parse_qsl(parts.query)),
    )


def lookup_connection(conn_id: str) -> ConnInfo | None:
    """Airflow's view of the connection (env var, metadata DB or secrets backend); None when unset."""
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - not defined (or no Airflow context): fall back to the env var
        return _conn_from_env(conn_id)
    return ConnInfo(conn.conn_type or "", conn.host or "", conn.port, conn.schema or "", conn.login or "",
                    conn.password or "", conn.extra_dejson or {})


def webhook_url(conn: ConnInfo) -> str:
    """`AIRFLOW_CONN_X='https://hooks.example.com/services/T/B/secret'` parses as conn_type https,
    host, schema=path; an http-type connection may also carry the full URL in `host`."""
    if conn.host.startswith(("http://", "https://")):
        return conn.host.rstrip("/") + (f"/{conn.schema}" if conn.schema else "")
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else (conn.extra or {}).get("scheme", "https")
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema}" if conn.schema else ""
    endpoint = (conn.extra or {}).get("endpoint", "")
    if endpoint:
        path = path + "/" + endpoint.lstrip("/")
    return f"{scheme}://{conn.host}{port}{path}"


def send_webhook(conn: ConnInfo, message: dict[str, Any], timeout: float = 10.0) -> None:
    # `text` is what Slack/Teams/Mattermost incoming webhooks display; the rest is for machines.
    body = json.dumps({"text": message["text"], "funnelhouse": message}, default=str).encode()
    request = urllib.request.Request(webhook_url(conn), data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL from a connection
        response.read()


def send_email(conn: ConnInfo, message: dict[str, Any], timeout: float = 10.0) -> None:
    extra = conn.extra or {}
    recipients = [r.strip() for r in str(extra.get("to", "")).split(",") if r.strip()]
    if not recipients:
        raise ValueError(f"connection {SMTP_CONN_ID} has no 'to' extra (comma-separated recipients)")
    mail = EmailMessage()
    mail["Subject"] = message["text"][:200]
    mail["From"] = extra.get("from") or conn.login or "funnelhouse@localhost"
    mail["To"] = ", ".join(recipients)
    mail.set_content(json.dumps(message, indent=2, default=str))
    use_ssl = str(extra.get("ssl", "false")).lower() == "true"
    starttls = str(extra.get("starttls", "false")).lower() == "true"
    smtp_cls = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    with smtp_cls(conn.host or "localhost", conn.port or (465 if use_ssl else 25), timeout=timeout) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
        if conn.login and conn.password:
            smtp.login(conn.login, conn.password)
        smtp.send_message(mail)


def notify(message: dict[str, Any], lookup: Callable[[str], ConnInfo | None] = lookup_connection) -> list[str]:
    """Send the message through every configured channel; return the channels that succeeded."""
    sent: list[str] = []
    for conn_id, sender, channel in ((WEBHOOK_CONN_ID, send_webhook, "webhook"), (SMTP_CONN_ID, send_email, "smtp")):
        conn = lookup(conn_id)
        if conn is None:
            continue
        try:
            sender(conn, message)
            sent.append(channel)
        except Exception as exc:  # noqa: BLE001 - never let alerting mask the original failure
            # The exception text of urllib can contain the URL (and so the token): log only the type.
            log.warning("funnelhouse: could not notify via %s (connection %s): %s", channel, conn_id,
                        type(exc).__name__)
    return sent


def on_task_failure(context: dict[str, Any]) -> None:
    message = failure_message(context)
    log.error("%s", message["text"])
    sent = notify(message)
    if sent:
        log.info("funnelhouse: failure notified via %s", ", ".join(sent))


def on_dag_failure(context: dict[str, Any]) -> None:
    message = failure_message({**context, "reason": context.get("reason") or "a task failed"}, kind="dag_run")
    log.error("%s", message["text"])
    notify(message)
