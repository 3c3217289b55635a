"""Failure callbacks: one clear log line for the engineer on call, plus a notification through the
Airflow notifiers when a channel is configured:

* webhook - `HttpNotifier` (apache-airflow-providers-http) over the HTTP connection
  `funnelhouse_alerts_webhook`, posting JSON `{"text": ..., "funnelhouse": {...}}` (what Slack, Teams and
  Mattermost incoming webhooks display);
* e-mail - `SmtpNotifier` (apache-airflow-providers-smtp) over the SMTP connection
  `funnelhouse_alerts_smtp`; the recipients are its extra `to` (comma-separated).

The connections come from Airflow (`AIRFLOW_CONN_FUNNELHOUSE_ALERTS_*`, the metadata DB or a secrets
backend), never from code. The notifiers are built at failure time, so parsing a DAG looks up nothing.
Notification is best effort: a broken channel must not hide the failure it reports, so its error is
logged as one warning naming only the channel and the exception type (a webhook URL carries a token,
and HTTP errors quote the URL) and swallowed.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("funnelhouse.alerts")

WEBHOOK_CONN_ID = "funnelhouse_alerts_webhook"
SMTP_CONN_ID = "funnelhouse_alerts_smtp"


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


def _connection(conn_id: str) -> Any | None:
    """Airflow's view of the connection (env var, metadata DB or secrets backend); None when undefined."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001 - AirflowNotFoundException and friends: the channel is off
        if type(exc).__name__ != "AirflowNotFoundException":
            log.warning("funnelhouse: connection %s could not be read: %s", conn_id, type(exc).__name__)
        return None


def _mask(conn: Any) -> None:
    """Register what the task log must never show: the webhook URL and its path (the token is in the
    path; urllib3 logs the path at DEBUG), the passwords."""
    try:
        from airflow.sdk.log import mask_secret

        path = urlsplit(conn.host or "").path if "://" in (conn.host or "") else ""
        for value in (conn.host, path if len(path) > 8 else "", conn.password):
            if value:
                mask_secret(value)
    except Exception:  # noqa: BLE001 - masking is a second line of defence; we never log the URL anyway
        pass


def webhook_notifier(conn: Any, message: dict[str, Any]):
    """HttpNotifier posting the message. The connection is an HTTP connection whose host is the full
    webhook URL (`{"conn_type": "http", "host": "https://hooks.slack.com/services/T/B/X"}`) or host +
    schema (`https`) + port, with an optional extra `endpoint` (the path)."""
    from airflow.providers.http.notifications import HttpNotifier

    endpoint = (conn.extra_dejson or {}).get("endpoint")
    # `text` is what incoming webhooks display; the rest is for machines.
    body = {"text": message["text"], "funnelhouse": json.loads(json.dumps(message, default=str))}
    return HttpNotifier(http_conn_id=WEBHOOK_CONN_ID, endpoint=endpoint, method="POST", json=body,
                        headers={"Content-Type": "application/json"})


def email_notifier(conn: Any, message: dict[str, Any]):
    """SmtpNotifier mailing the message to the connection's extra `to`; sender: extra `from_email`
    (SmtpHook's own) or `from`. TLS follows SmtpHook's extras `disable_ssl` / `disable_tls`."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    extra = conn.extra_dejson or {}
    recipients = [r.strip() for r in str(extra.get("to", "")).split(",") if r.strip()]
    if not recipients:
        raise ValueError(f"connection {SMTP_CONN_ID} has no 'to' extra (comma-separated recipients)")
    details = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                      for k, v in message.items() if k != "text")
    return SmtpNotifier(
        to=recipients,
        from_email=extra.get("from_email") or extra.get("from") or conn.login or "funnelhouse@localhost",
        subject=message["text"][:200],
        html_content=f"<p>{html.escape(message['text'])}</p><table>{details}</table>",
        smtp_conn_id=SMTP_CONN_ID,
    )


CHANNELS: tuple[tuple[str, str, Callable[[Any, dict[str, Any]], Any]], ...] = (
    ("webhook", WEBHOOK_CONN_ID, webhook_notifier),
    ("smtp", SMTP_CONN_ID, email_notifier),
)


def notify(message: dict[str, Any], context: dict[str, Any] | None = None) -> list[str]:
    """Send the message through every configured channel; return the channels that succeeded."""
    sent: list[str] = []
    for channel, conn_id, build in CHANNELS:
        conn = _connection(conn_id)
        if conn is None:
            continue
        _mask(conn)
        try:
            # notify() rather than __call__: the message is final text, not a Jinja template (an error
            # message quoting `{{ ... }}` must not be rendered).
            build(conn, message).notify(context or {})
            sent.append(channel)
        except Exception as exc:  # noqa: BLE001 - never let alerting mask the original failure
            log.warning("funnelhouse: could not notify via %s (connection %s): %s", channel, conn_id,
                        type(exc).__name__)
    return sent


def on_task_failure(context: dict[str, Any]) -> None:
    message = failure_message(context)
    log.error("%s", message["text"])
    sent = notify(message, context)
    if sent:
        log.info("funnelhouse: failure notified via %s", ", ".join(sent))


def on_dag_failure(context: dict[str, Any]) -> None:
    message = failure_message({**context, "reason": context.get("reason") or "a task failed"}, kind="dag_run")
    log.error("%s", message["text"])
    sent = notify(message, context)
    if sent:
        log.info("funnelhouse: failure notified via %s", ", ".join(sent))
