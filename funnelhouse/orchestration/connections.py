"""CRM and warehouse credentials from Airflow connections, so a secrets backend (Vault, AWS Secrets
Manager, ...) or `AIRFLOW_CONN_*` variables can hold them.

The settings module (`funnelhouse.core.settings`) stays the one owner of configuration: it reads the
`SALESFORCE_*` / `HUBSPOT_*` / `WAREHOUSE_DSN` variables and knows nothing of Airflow. This module, in
the app's orchestration layer, translates the connections below into exactly those variables and sets
them in the task's own process (`apply_connections`, the `on_execute_callback` of every task) before
the task reads its settings. Connections are looked up at run time only, never while a DAG is parsed.

Precedence, per section (Salesforce, HubSpot, warehouse): a variable set in the environment wins; the
connection fills in only a section the environment leaves empty (no credential variable of it set).

The connections (their fields are in docs/orchestration.md § Credentials as Airflow connections):

* `salesforce_default`: `host` the instance URL (`https://acme.my.salesforce.com`, or a host name with
  `schema` `http`/`https`); `password` the access token, or with `login` the user's password; extras
  `security_token`, `client_id`, `client_secret`, `domain`, `api_version`, `ca_file`, `access_token`.
* `hubspot_default`: `password` (or extra `access_token`) the private-app token; `host` the base URL
  (default `https://api.hubapi.com`).
* `funnelhouse_warehouse`: a postgres connection; `schema` is the database (Airflow's convention),
  extras `sslmode`, `sslrootcert`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

log = logging.getLogger("funnelhouse.connections")

SALESFORCE_CONN_ID = "salesforce_default"
HUBSPOT_CONN_ID = "hubspot_default"
WAREHOUSE_CONN_ID = "funnelhouse_warehouse"

# The variables whose presence means "this section is configured by the environment".
SECTION_VARS: dict[str, tuple[str, ...]] = {
    SALESFORCE_CONN_ID: ("SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME", "SALESFORCE_CLIENT_ID"),
    HUBSPOT_CONN_ID: ("HUBSPOT_ACCESS_TOKEN",),
    WAREHOUSE_CONN_ID: ("WAREHOUSE_DSN",),
}


def _base_url(conn: Any, default_scheme: str = "https") -> str:
    host = (conn.host or "").strip()
    if not host:
        return ""
    if "://" in host:
        return host.rstrip("/")
    scheme = conn.schema if conn.schema in ("http", "https") else default_scheme
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{host}{port}"


def salesforce_env(conn: Any) -> dict[str, str]:
    extra = conn.extra_dejson or {}
    env = {"SALESFORCE_INSTANCE_URL": _base_url(conn)}
    if conn.login:
        env.update(SALESFORCE_USERNAME=conn.login, SALESFORCE_PASSWORD=conn.password or "")
    elif conn.password:
        env["SALESFORCE_ACCESS_TOKEN"] = conn.password
    for key in ("access_token", "security_token", "client_id", "client_secret", "domain", "api_version", "ca_file"):
        if extra.get(key):
            env[f"SALESFORCE_{key.upper()}"] = str(extra[key])
    return {k: v for k, v in env.items() if v}


def hubspot_env(conn: Any) -> dict[str, str]:
    extra = conn.extra_dejson or {}
    env = {"HUBSPOT_ACCESS_TOKEN": conn.password or str(extra.get("access_token") or ""),
           "HUBSPOT_BASE_URL": _base_url(conn)}
    return {k: v for k, v in env.items() if v}


def warehouse_env(conn: Any) -> dict[str, str]:
    if not conn.host:
        return {}
    auth = quote(conn.login or "", safe="")
    if conn.password:
        auth += ":" + quote(conn.password, safe="")
    query = {k: str(v) for k, v in (conn.extra_dejson or {}).items() if k in ("sslmode", "sslrootcert")}
    dsn = (f"postgresql://{auth + '@' if auth else ''}{conn.host}:{conn.port or 5432}/{conn.schema or 'postgres'}"
           + (f"?{urlencode(query)}" if query else ""))
    return {"WAREHOUSE_DSN": dsn}


TRANSLATORS: dict[str, Callable[[Any], dict[str, str]]] = {
    SALESFORCE_CONN_ID: salesforce_env,
    HUBSPOT_CONN_ID: hubspot_env,
    WAREHOUSE_CONN_ID: warehouse_env,
}


def airflow_connection(conn_id: str) -> Any | None:
    """Airflow's view of the connection (env var, metadata DB or secrets backend); None when undefined."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001 - AirflowNotFoundException: not configured that way
        if type(exc).__name__ != "AirflowNotFoundException":
            log.warning("funnelhouse: connection %s could not be read: %s", conn_id, type(exc).__name__)
        return None


def connection_env(environ: Mapping[str, str] | None = None,
                   lookup: Callable[[str], Any | None] = airflow_connection) -> dict[str, str]:
    """The settings variables the connections supply for the sections the environment leaves empty."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for conn_id, translate in TRANSLATORS.items():
        if any(environ.get(name, "").strip() for name in SECTION_VARS[conn_id]):
            continue  # the environment configures this section: it wins
        conn = lookup(conn_id)
        if conn is None:
            continue
        values = translate(conn)
        out.update({k: v for k, v in values.items() if not environ.get(k, "").strip()})
    return out


def apply_connections(context: Any = None) -> list[str]:
    """`on_execute_callback`: put the connections' credentials into this task process's environment,
    where `load_settings()` reads them; return the names set (never the values)."""
    values = connection_env()
    if values:
        try:
            from airflow.sdk.log import mask_secret

            for name, value in values.items():
                if name.endswith(("_TOKEN", "_PASSWORD", "_SECRET", "_DSN")):
                    mask_secret(value)
        except Exception:  # noqa: BLE001 - masking is a second line of defence; values are never logged
            pass
        os.environ.update(values)
        log.info("funnelhouse: settings from Airflow connections: %s", ", ".join(sorted(values)))
    return sorted(values)
