"""Idempotent, COPY-only loading of record versions into a raw table.

The textbook idempotent load (COPY into a temp table, then INSERT ... ON CONFLICT DO NOTHING)
writes every row twice. Here a batch that is expected to be new is COPYed straight into the keyed
raw table inside a savepoint; the primary key itself detects an overlap (unique violation), and
only then is the batch filtered against the keys already stored (one index lookup by id) before
the remaining rows are COPYed straight in. The temp-table merge stays as the last resort for a
concurrent writer. Correctness never depends on the "expected new" hint, only speed does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import errors, sql

from extractors.engine.records import RawRow, Rejection, dumps
from funnelhouse.core.raw import RAW_COLUMNS, raw_table

_COPY_CHUNK = 1 << 20


@dataclass
class LoadResult:
    rows: int = 0
    new_versions: int = 0
    bytes: int = 0
    path: str = "none"  # direct | filtered | merge


def _escape(text: str) -> str:
    # COPY text format: backslash, tab, newline and carriage return are the only specials.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


@dataclass(frozen=True, slots=True)
class EncodedRow:
    key: tuple[str, datetime]
    line: bytes


def encode_rows(
    rows: Iterable[RawRow], source: str, object_name: str, batch_id: str, extracted_at: datetime
) -> tuple[list[EncodedRow], list[Rejection]]:
    """COPY lines for the rows, one per (id, version); rows PostgreSQL cannot store are rejected."""
    tail = f"\t{extracted_at.isoformat()}\t{_escape(batch_id)}\n"
    seen: set[tuple[str, datetime]] = set()
    out: list[EncodedRow] = []
    rejected: list[Rejection] = []
    for row in rows:
        key = (row.id, row.source_updated_at)
        if key in seen:
            continue
        seen.add(key)
        text = (f"{_escape(row.id)}\t{row.source_updated_at.isoformat()}\t{_escape(dumps(row.record))}\t"
                f"{'t' if row.is_deleted else 'f'}{tail}")
        try:
            out.append(EncodedRow(key, text.encode("utf-8")))
        except UnicodeEncodeError as exc:
            reason = f"{source} {object_name} {row.id}: record is not valid UTF-8 text ({exc.reason})"
            rejected.append(Rejection(row.id, reason, {"id": row.id, "unencodable": True}))
    return out, rejected


def _copy(cur: psycopg.Cursor, target: sql.Composable, lines: list[EncodedRow]) -> int:
    statement = sql.SQL("copy {} ({}) from stdin").format(
        target, sql.SQL(", ").join(map(sql.Identifier, RAW_COLUMNS))
    )
    size = 0
    with cur.copy(statement) as copy:
        buffer: list[bytes] = []
        pending = 0
        for row in lines:
            buffer.append(row.line)
            pending += len(row.line)
            if pending >= _COPY_CHUNK:
                copy.write(b"".join(buffer))
                size += pending
                buffer, pending = [], 0
        if buffer:
            copy.write(b"".join(buffer))
            size += pending
    return size


def prepare_session(conn: psycopg.Connection) -> None:
    """Loading sessions commit without waiting for the WAL flush. A server crash can then lose the
    last few commits, but each is atomic (rows + watermark together), so a lost commit is simply
    re-extracted by the next run: nothing is lost or duplicated in the raw layer."""
    conn.execute("set synchronous_commit to off")


class RawLoader:
    """Loads batches into one raw table; must be used inside the caller's transaction."""

    def __init__(self, conn: psycopg.Connection, source: str, table: str):
        self.conn = conn
        self.table = table
        self.target = raw_table(source, table)

    def load(self, lines: list[EncodedRow], expect_new: bool) -> LoadResult:
        if not lines:
            return LoadResult()
        with self.conn.cursor() as cur:
            if expect_new:
                try:
                    with self.conn.transaction():
                        size = _copy(cur, self.target, lines)
                    return LoadResult(len(lines), len(lines), size, "direct")
                except errors.UniqueViolation:
                    pass  # an overlap after all; the savepoint rolled the partial COPY back
            fresh = self._unseen(cur, lines)
            if not fresh:
                return LoadResult(len(lines), 0, 0, "filtered")
            try:
                with self.conn.transaction():
                    size = _copy(cur, self.target, fresh)
                return LoadResult(len(lines), len(fresh), size, "filtered")
            except errors.UniqueViolation:
                return self._merge(cur, lines)

    def _unseen(self, cur: psycopg.Cursor, lines: list[EncodedRow]) -> list[EncodedRow]:
        ids = list({row.key[0] for row in lines})
        cur.execute(
            sql.SQL("select id, source_updated_at from {} where id = any(%s)").format(self.target), (ids,)
        )
        stored = set(cur.fetchall())
        return [row for row in lines if row.key not in stored]

    def _merge(self, cur: psycopg.Cursor, lines: list[EncodedRow]) -> LoadResult:
        stage = sql.Identifier(f"_fh_stage_{self.table}")
        cur.execute(sql.SQL("create temp table if not exists {} (like {}) on commit delete rows").format(
            stage, self.target))
        cur.execute(sql.SQL("truncate {}").format(stage))
        size = _copy(cur, stage, lines)
        cur.execute(sql.SQL("insert into {} select * from {} on conflict do nothing").format(self.target, stage))
        return LoadResult(len(lines), cur.rowcount, size, "merge")


def latest_versions(
    conn: psycopg.Connection, source: str, table: str
) -> dict[str, tuple[datetime, bool]]:
    """id -> (latest source_updated_at, is_deleted) for every id of a raw table."""
    rows = conn.execute(
        sql.SQL(
            "select distinct on (id) id, source_updated_at, is_deleted from {} order by id, source_updated_at desc"
        ).format(raw_table(source, table))
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}
