"""HubSpot associations: one raw row per pair, complete within a bounded time.

Associations have no timestamps of their own, and adding or removing one does not move either
record's `updatedAt` (real-orgs.md). So each run reads, with v4 batch reads of up to 1,000 ids:

* the from-objects changed since the per-type watermark (keyset search; the first time, every
  from-object, listed with cursor paging), and
* a rotating slice of every stored live from-object (ids from the raw table, no API call to list
  them), sized so the whole population is re-read at least once per
  `HUBSPOT_ASSOCIATION_REFRESH_HOURS`: slice = ceil(N x hours since the last slice / the setting),
  at least one id, resumed after the last id of the previous slice.

A pair is stored when new or when its association types change, versioned by its from object's
`updatedAt`; a pair missing from a re-read from-object gets a tombstone. A pair that comes back after
its tombstone is versioned just after the tombstone, so it sorts as the latest version.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.base import Page, RunContext
from extractors.engine.loader import latest_versions
from extractors.engine.records import RawRow, RowSpec, TimestampError, parse_timestamp
from extractors.engine.state import SyncState
from extractors.engine.tombstones import tombstone_rows
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.objects import SOURCE
from extractors.hubspot.paging import check_cursor, latest, next_after
from extractors.hubspot.search import keyset_search, sort_ts
from funnelhouse.core.raw import raw_table

# Associations the marts need: from-object -> to-objects.
ASSOCIATION_PAIRS: dict[str, tuple[str, ...]] = {
    "contacts": ("companies",),
    "deals": ("contacts", "companies", "line_items"),
    "calls": ("contacts", "deals"),
    "emails": ("contacts", "deals"),
    "meetings": ("contacts", "deals"),
}
_MODIFIED = {"contacts": "lastmodifieddate"}


def _iso(ts: datetime) -> str:
    return ts.isoformat()


class Associations:
    """One row per association `{fromObjectType, fromObjectId, toObjectType, toObjectId, associationTypes}`."""

    source, object_name, table = SOURCE, "associations", "associations"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "associations", "id", ("updatedAt",))
        # (from type, from id) -> (pair ids seen now, the from object's updatedAt when read)
        self.current: dict[tuple[str, str], tuple[set[str], str]] = {}

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        self.api.bind(ctx)
        # Per from-object type: the change watermark and the refresh slice's position, in the cursor;
        # the row's watermark is the minimum of the change watermarks.
        marks: dict[str, str | None] = dict(state.cursor.get("from", {})) if state.cursor else {}
        refresh: dict[str, dict[str, Any]] = dict(state.cursor.get("refresh", {})) if state.cursor else {}
        now = datetime.now(UTC)

        def page(pairs: list[dict[str, Any]]) -> Page:
            known = [parse_timestamp(v) for v in marks.values() if v]
            return Page(self._changed_pairs(ctx, pairs),
                        SyncState(SOURCE, self.object_name, min(known, default=None), None,
                                  {"from": dict(marks), "refresh": dict(refresh)}, state.reconciled_at))

        for from_type, to_types in ASSOCIATION_PAIRS.items():
            mark = parse_timestamp(marks[from_type]) if marks.get(from_type) else None
            first = mark is None
            read: set[str] = set()
            for ids, page_mark in self._changed(from_type, mark, ctx):
                mark = latest(mark, page_mark)
                read.update(ids)
                pairs = self._read_all(from_type, to_types, ids, ctx)
                marks[from_type] = mark.isoformat() if mark else None
                if first:
                    # Everything was just read: the refresh cycle starts now, at the beginning.
                    refresh[from_type] = {"after": None, "at": _iso(now)}
                yield page(pairs)
            if first:
                continue
            slice_ids, position = self._slice(ctx, from_type, refresh.get(from_type) or {}, now)
            slice_ids = {i: u for i, u in slice_ids.items() if i not in read}
            for start in range(0, len(slice_ids), ctx.options.association_batch):
                chunk = dict(list(slice_ids.items())[start:start + ctx.options.association_batch])
                pairs = self._read_all(from_type, to_types, chunk, ctx)
                yield page(pairs)
            refresh[from_type] = {"after": position, "at": _iso(now)}
            yield page([])

    # -- which from-objects ---------------------------------------------------------------------
    def _changed(self, from_type: str, mark: datetime | None, ctx: RunContext
                 ) -> Iterator[tuple[dict[str, str], datetime | None]]:
        """(id -> updatedAt) of from-objects changed since the mark, page by page. The first time, the
        list API (cursor paging, cheap for the server) is used; its mark is then the newest change
        that existed when the scan began, so what changes during the scan is read again next run."""
        modified = _MODIFIED.get(from_type, "hs_lastmodifieddate")
        if mark is None:
            newest = self.api.search(from_type, {"sorts": [{"propertyName": modified, "direction": "DESCENDING"}],
                                                 "properties": [modified], "limit": 1, "after": "0"})
            scan_start = next((sort_ts(r, modified) for r in newest.get("results", [])), None)
            after = None
            while True:
                data = self.api.list_page(from_type, after, 100, [modified])
                ids = {str(r["id"]): r.get("updatedAt", "") for r in data.get("results", [])
                       if isinstance(r, dict) and r.get("id")}
                after = check_cursor(f"{from_type} list (associations)", after, next_after(data))
                yield ids, (None if after else scan_start)
                if not after:
                    return
        start = mark - ctx.options.overlap
        for found in keyset_search(self.api, from_type, modified, [modified], start, ctx.options.search_page_size):
            ids = {str(r["id"]): r.get("updatedAt", "") for r in found.records if isinstance(r, dict) and r.get("id")}
            yield ids, found.watermark

    def _slice(self, ctx: RunContext, from_type: str, position: dict[str, Any], now: datetime
               ) -> tuple[dict[str, str], str | None]:
        """The next ids of the rotating refresh (id -> stored updatedAt) and the position after them."""
        if ctx.dsn is None:
            return {}, position.get("after")
        with psycopg.connect(ctx.dsn) as conn:
            # On a fresh warehouse the from-object's table may not exist yet (its extract task runs
            # in parallel or later): nothing stored means nothing to refresh.
            if not _stored(conn, from_type):
                return {}, None
            live = conn.execute(sql.SQL(
                "select id, record->>'updatedAt' from (select distinct on (id) id, record, is_deleted from {} "
                "order by id, source_updated_at desc) l where not is_deleted order by length(id), id").format(
                    raw_table(SOURCE, from_type))).fetchall()
        if not live:
            return {}, None
        hours = max(ctx.options.association_refresh_hours, 1e-9)
        try:
            elapsed = now - parse_timestamp(position["at"]) if position.get("at") else timedelta(hours=hours)
        except TimestampError:
            elapsed = timedelta(hours=hours)
        share = min(1.0, max(0.0, elapsed / timedelta(hours=hours)))
        size = min(len(live), max(1, math.ceil(len(live) * share)))
        after = position.get("after")
        begin = 0
        if after is not None:
            key = (len(after), after)
            begin = next((i for i, (i_id, _) in enumerate(live) if (len(i_id), i_id) > key), 0)
        chosen = [live[(begin + k) % len(live)] for k in range(size)]
        return {i: u or "" for i, u in chosen}, chosen[-1][0]

    # -- reading --------------------------------------------------------------------------------
    def _read_all(self, from_type: str, to_types: tuple[str, ...], ids: dict[str, str], ctx: RunContext
                  ) -> list[dict[str, Any]]:
        pairs = [row for to_type in to_types for row in self._read(from_type, to_type, ids, ctx)]
        for from_id, updated in ids.items():
            self.current[(from_type, from_id)] = (set(), updated)
        for pair in pairs:
            self.current[(from_type, pair["fromObjectId"])][0].add(pair["id"])
        return pairs

    def _read(self, from_type: str, to_type: str, ids: dict[str, str], ctx: RunContext) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending = [{"id": i} for i in ids]
        batch_size = ctx.options.association_batch
        while pending:
            batch, pending = pending[:batch_size], pending[batch_size:]
            data = self.api.associations(from_type, to_type, batch)
            for result in data.get("results", []):
                from_id = str((result.get("from") or {}).get("id", ""))
                if from_id not in ids:
                    continue
                for target in result.get("to") or []:
                    to_id = str(target.get("toObjectId"))
                    out.append({"id": f"{from_type}:{from_id}:{to_type}:{to_id}", "updatedAt": ids[from_id],
                                "fromObjectType": from_type, "fromObjectId": from_id, "toObjectType": to_type,
                                "toObjectId": to_id, "associationTypes": target.get("associationTypes") or []})
                after = next_after(result)
                if after:
                    pending.append({"id": from_id, "after": after})
        return out

    def _changed_pairs(self, ctx: RunContext, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop pairs whose latest stored version is live with the same association types; a pair
        back after its tombstone is versioned just after it (else it would sort before it)."""
        if not pairs or ctx.dsn is None:
            return pairs
        with psycopg.connect(ctx.dsn) as conn:
            stored = {r[0]: r[1:] for r in conn.execute(sql.SQL(
                "select distinct on (id) id, is_deleted, record->'associationTypes', source_updated_at "
                "from {} where id = any(%s) order by id, source_updated_at desc").format(
                    raw_table(SOURCE, self.table)), ([p["id"] for p in pairs],)).fetchall()}
        out = []
        for pair in pairs:
            deleted, types, at = stored.get(pair["id"], (None, None, None))
            if deleted is False and types == pair["associationTypes"]:
                continue
            if at is not None:
                try:
                    version = parse_timestamp(pair["updatedAt"])
                except TimestampError:
                    version = None
                if version is not None and version <= at:
                    pair = {**pair, "updatedAt": _iso(at + timedelta(milliseconds=1)).replace("+00:00", "Z")}
            out.append(pair)
        return out

    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        known = latest_versions(conn, SOURCE, self.table)
        ended = self._ended_from_objects(conn)
        out: list[RawRow] = []
        for pair_id, (_, deleted) in known.items():
            if deleted:
                continue
            from_type, from_id, _rest = pair_id.split(":", 2)
            seen = self.current.get((from_type, from_id))
            if (from_type, from_id) in ended:
                # The from object is archived (or gone): its associations end with it, at its last version.
                when = ended[(from_type, from_id)]
            elif seen is None or pair_id in seen[0]:
                continue
            else:
                # Removed when its from object was last read: version it at that object's updatedAt (the
                # source's clock) or just after the pair's last version, whichever is later.
                try:
                    when = parse_timestamp(seen[1])
                except TimestampError:
                    when = now
            out.extend(tombstone_rows(conn, SOURCE, self.table, [pair_id], known, when))
        return out

    def _ended_from_objects(self, conn: psycopg.Connection) -> dict[tuple[str, str], datetime]:
        """(from type, id) -> version time of from-objects whose latest stored version is deleted."""
        ended: dict[tuple[str, str], datetime] = {}
        for from_type in ASSOCIATION_PAIRS:
            if not _stored(conn, from_type):
                continue  # not extracted yet on this warehouse: nothing of it has ended
            rows = conn.execute(sql.SQL(
                "select id, source_updated_at from (select distinct on (id) id, source_updated_at, is_deleted "
                "from {} order by id, source_updated_at desc) l where is_deleted").format(
                    raw_table(SOURCE, from_type))).fetchall()
            ended.update({(from_type, i): at for i, at in rows})
        return ended


def _stored(conn: psycopg.Connection, from_type: str) -> bool:
    """Whether the from-object's raw table exists yet (a fresh warehouse may run this task first)."""
    return conn.execute("select to_regclass(%s)", (raw_table(SOURCE, from_type).as_string(conn),)
                        ).fetchone()[0] is not None
