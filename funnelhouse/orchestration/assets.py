"""Airflow Asset URIs for the marts, so downstream DAGs (dashboard refreshes, exports) can be scheduled
on `Asset("postgres://host:port/db/marts/<table>")`.

Airflow requires postgres URIs with host, port, database, schema and table. The URI names the
warehouse, it is not a connection string: it never carries credentials. For the embedded warehouse
(whose port changes between machines) a stable logical name is used; set FUNNELHOUSE_ASSET_WAREHOUSE
(e.g. `warehouse:5432/funnelhouse`) to pin it explicitly.
"""

from __future__ import annotations

from urllib.parse import urlparse

from funnelhouse.core.runtime import asset_warehouse, warehouse_dsn

EMBEDDED_WAREHOUSE = "localhost:5432/funnelhouse"


def warehouse_authority(dsn: str | None = None, override: str | None = None) -> str:
    override = override if override is not None else asset_warehouse()
    if override:
        return override.strip("/")
    dsn = dsn if dsn is not None else warehouse_dsn()
    if not dsn:
        return EMBEDDED_WAREHOUSE
    parsed = urlparse(dsn)
    database = parsed.path.lstrip("/") or "postgres"
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 5432}/{database}"


def mart_asset_uri(table: str, authority: str | None = None) -> str:
    return f"postgres://{authority or warehouse_authority()}/marts/{table}"
