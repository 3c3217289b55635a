"""Tombstones: the version that records a hard delete (a record gone from the source without a
soft-delete flag), built from the last stored version so the raw layer keeps what was known."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.records import RawRow
from funnelhouse.core.raw import raw_table


def tombstone_rows(conn: psycopg.Connection, source: str, table: str, ids: list[str],
                   known: dict[str, tuple[datetime, bool]], now: datetime,
                   extra: dict[str, Any] | None = None) -> list[RawRow]:
    """Tombstone versions for ids gone from the source: the last known record plus `_hard_deleted`."""
    if not ids:
        return []
    rows = conn.execute(
        sql.SQL("select distinct on (id) id, record from {} where id = any(%s) order by id, source_updated_at desc")
        .format(raw_table(source, table)), (ids,),
    ).fetchall()
    out = []
    for record_id, record in rows:
        # Detection time, but never before the version it ends (clocks of source and extractor differ).
        ts = max(now, known[record_id][0] + timedelta(milliseconds=1))
        out.append(RawRow(record_id, ts, {**record, "_hard_deleted": True, **(extra or {})}, True))
    return out
