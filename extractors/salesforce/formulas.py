"""Formula fields (`calculated: true` in describe) change value when a parent record or the date
changes, without `SystemModstamp` moving (real-orgs.md), so the incremental window never sees it.

At most every `SALESFORCE_FORMULA_REFRESH_HOURS` (default 24; the time of the last refresh is kept in
the sync-state cursor as `formula_refreshed_at`) the object's Id, version field and formula fields are
read for every live row (REST query ordered by Id, resumable; Bulk API 2.0 above
`EXTRACT_BULK_THRESHOLD` stored rows or on QUERY_TIMEOUT). A row whose formula values differ from its
latest stored version, while its version field did not move, gets a new raw version: that stored
record with the new values, versioned 1 microsecond after the version it follows. So a later real
change (a newer SystemModstamp) still sorts last, re-reading the same values adds nothing, and the
same world gives the same versions. A first run reads every value anyway and only starts the clock.
Cost: ceil(live rows / batch size) query calls per refresh (Bulk: create + status + result pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.base import RunContext
from extractors.engine.records import RawRow
from extractors.engine.state import SyncState
from extractors.salesforce.scan import bulk_rows, scan_by_id
from extractors.salesforce.source import SalesforceSource
from funnelhouse.core.raw import raw_table

CURSOR_KEY = "formula_refreshed_at"
STEP = timedelta(microseconds=1)


def due(state: SyncState, ctx: RunContext, now: datetime) -> bool:
    if state.watermark is None or ctx.full_refresh:
        return False  # every value was just read
    last = state.cursor.get(CURSOR_KEY)
    if not last or ctx.options.formula_refresh_hours <= 0:
        return True
    return now - datetime.fromisoformat(last) >= timedelta(hours=ctx.options.formula_refresh_hours)


def _latest(conn: psycopg.Connection, source: str, table: str) -> dict[str, tuple[datetime, dict[str, Any]]]:
    rows = conn.execute(sql.SQL(
        "select distinct on (id) id, source_updated_at, record, is_deleted from {} "
        "order by id, source_updated_at desc").format(raw_table(source, table))).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows if not r[3]}


def refresh_rows(sf: SalesforceSource, source: str, object_name: str, table: str, ts_field: str,
                 described: list[dict[str, Any]], ctx: RunContext) -> Iterator[list[RawRow]]:
    """New versions for the live rows whose formula values changed, one list per page read."""
    formulas = [f["name"] for f in described if f.get("calculated")]
    if not formulas or ctx.dsn is None:
        return
    types = {f["name"]: f.get("type", "string") for f in described}
    with psycopg.connect(ctx.dsn) as conn:
        stored = _latest(conn, source, table)
    if not stored:
        return
    fields = ["Id", ts_field, *formulas]
    what = f"salesforce {object_name} formula refresh"
    opts = ctx.options
    if len(stored) > opts.bulk_threshold:
        ctx.path.add("bulk2")
        pages = bulk_rows(sf, object_name, f"SELECT {', '.join(fields)} FROM {object_name}", types,
                          f"{what} bulk2", False, opts.bulk_poll_seconds, opts.bulk_page_size)
    else:
        pages = scan_by_id(sf, object_name, fields, types, what, False, opts.sf_batch_size,
                           opts.bulk_poll_seconds, opts.bulk_page_size)
    done: set[str] = set()  # a Bulk fallback may serve rows again
    for page in pages:
        out = []
        for row in page:
            rid = row.get("Id")
            if rid in done or rid not in stored:
                continue
            done.add(rid)
            at, record = stored[rid]
            if record.get(ts_field) != row.get(ts_field):
                continue  # changed since it was stored: the incremental window reads the new version
            changed = {f: row.get(f) for f in formulas if record.get(f) != row.get(f)}
            if changed:
                out.append(RawRow(rid, at + STEP, {**record, **changed}, False))
        yield out
