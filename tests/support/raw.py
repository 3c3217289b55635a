"""The raw layer as the core defines it: every raw table and raw_meta created with the contract's own
DDL for the objects the extractors run (funnelhouse/core/raw.py), never a copy typed out here. `load`
adds hand-made record versions for tests that need exact rows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import psycopg

from funnelhouse.core.raw import SCHEMAS, SOURCES, ensure_meta, ensure_raw_table, tables

#: raw schema -> its tables, one per object the extractors run
RAW_TABLES: dict[str, tuple[str, ...]] = {SCHEMAS[source]: tables(source) for source in SOURCES}


def create_raw_tables(dsn: str, meta: bool = True) -> None:
    """Every raw table of every source, empty, and (with `meta`) the raw_meta bookkeeping tables."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for source in SOURCES:
            for table in tables(source):
                ensure_raw_table(conn, source, table)
        if meta:
            ensure_meta(conn)


def load(dsn: str, schema: str, table: str, rows: Iterable[dict], batch_id: str = "test",
         extracted_at: datetime | None = None) -> int:
    """rows: dicts with id, source_updated_at, record (and optional is_deleted). Same version twice = no-op."""
    extracted_at = extracted_at or datetime.now(UTC)
    data = [
        (r["id"], r["source_updated_at"], json.dumps(r["record"]), bool(r.get("is_deleted", False)),
         extracted_at, batch_id)
        for r in rows
    ]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            f'insert into {schema}."{table}" (id, source_updated_at, record, is_deleted, _extracted_at, _batch_id)'
            " values (%s, %s, %s, %s, %s, %s) on conflict do nothing",
            data,
        )
    return len(data)


def record_sync(conn: psycopg.Connection, source: str, table: str, batch_id: str, *, rows: int = 0,
                rejected: int = 0, outcome: str = "success", run_id: str = "r1", mode: str = "incremental",
                started: str = "now() - interval '2 hours'", finished: str = "now() - interval '1 hour'") -> None:
    """One raw_meta.sync_runs row and the object's sync_state, in the extractors' own columns (the
    defaults of the DDL fill the counters a test does not name)."""
    conn.execute(
        f"""insert into raw_meta.sync_runs (batch_id, run_id, source, object, mode, started_at, finished_at, outcome,
                rows, rejected, pages, api_calls, seconds)
            values (%s, %s, %s, %s, %s, {started}, {finished}, %s, %s, %s, 1, 2, 0.5)""",
        (batch_id, run_id, source, table, mode, outcome, rows, rejected),
    )
    conn.execute(
        f"""insert into raw_meta.sync_state (source, object, watermark, updated_at) values (%s, %s, {finished}, now())
            on conflict (source, object) do update set watermark = excluded.watermark""",
        (source, table),
    )
