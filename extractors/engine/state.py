"""Sync state, run log and rejected records in `raw_meta`.

The watermark row of an object is written by the same transaction that writes the rows it
covers (see `loader.commit_batch`), so the state can never claim rows that are not there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from extractors.engine.records import Rejection, dumps


@dataclass
class SyncState:
    source: str
    object: str
    watermark: datetime | None = None
    last_id: str | None = None
    # Extractor-specific resume point (an unfinished bulk job, a list cursor, ...).
    cursor: dict[str, Any] = field(default_factory=dict)
    reconciled_at: datetime | None = None


def read_state(conn: psycopg.Connection, source: str, object_name: str) -> SyncState:
    row = conn.execute(
        "select watermark, last_id, cursor, reconciled_at from raw_meta.sync_state where source = %s and object = %s",
        (source, object_name),
    ).fetchone()
    if row is None:
        return SyncState(source, object_name)
    return SyncState(source, object_name, row[0], row[1], row[2] or {}, row[3])


def write_state(conn: psycopg.Connection, state: SyncState) -> None:
    conn.execute(
        """insert into raw_meta.sync_state (source, object, watermark, last_id, cursor, reconciled_at, updated_at)
           values (%s, %s, %s, %s, %s, %s, now())
           on conflict (source, object) do update set
             watermark = excluded.watermark, last_id = excluded.last_id, cursor = excluded.cursor,
             reconciled_at = excluded.reconciled_at, updated_at = now()""",
        (state.source, state.object, state.watermark, state.last_id,
         json.dumps(state.cursor) if state.cursor else None, state.reconciled_at),
    )


def reset_state(conn: psycopg.Connection, source: str, object_name: str) -> None:
    conn.execute("delete from raw_meta.sync_state where source = %s and object = %s", (source, object_name))


def write_rejections(
    conn: psycopg.Connection, source: str, object_name: str, rejected: list[Rejection], batch_id: str
) -> int:
    """Store rejected payloads; the same rejection seen again (overlap re-read) is stored once."""
    if not rejected:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            """insert into raw_meta.rejected_records (source, object, record_id, reason, payload, _batch_id)
               values (%s, %s, %s, %s, %s::jsonb, %s) on conflict do nothing""",
            [(source, object_name, r.record_id, r.reason, dumps(r.payload), batch_id) for r in rejected],
        )
    return len(rejected)


@dataclass(kw_only=True)
class RunCounters:
    """What one object's run did: kept in its run-log row and handed back to callers as its summary."""

    outcome: str = "running"  # success | stopped_quota | failed
    mode: str = ""
    rows: int = 0
    versions_new: int = 0
    pages: int = 0
    api_calls: int = 0
    retries: int = 0
    rejected: int = 0
    tombstones: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    # Not an error, never silent: e.g. an integration user that cannot see every row or field.
    warning: str | None = None


@dataclass
class RunLog(RunCounters):
    """One object's run; one row of `raw_meta.sync_runs`."""

    batch_id: str
    run_id: str
    source: str
    object: str
    started_at: datetime
    watermark_before: datetime | None = None
    watermark_after: datetime | None = None


_RUN_COLUMNS = ("batch_id", "run_id", "source", "object", "mode", "started_at", "outcome", "rows", "versions_new",
                "pages", "api_calls", "retries", "rejected", "tombstones", "bytes", "seconds",
                "watermark_before", "watermark_after", "error", "warning")


def save_run(conn: psycopg.Connection, log: RunLog, finished: bool) -> None:
    values = [getattr(log, c) for c in _RUN_COLUMNS]
    updates = ", ".join(f"{c} = excluded.{c}" for c in _RUN_COLUMNS[1:])
    conn.execute(
        f"""insert into raw_meta.sync_runs ({", ".join(_RUN_COLUMNS)}, finished_at)
            values ({", ".join(["%s"] * len(_RUN_COLUMNS))}, {"now()" if finished else "null"})
            on conflict (batch_id) do update set {updates}, finished_at = excluded.finished_at""",
        values,
    )
