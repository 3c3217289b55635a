"""HubSpot CRM objects (contacts, companies, deals, line items, calls, emails, meetings).

* Initial load / full refresh: the list API, resumable from its `after` cursor; the watermark it
  leaves is the newest modification time that existed when the scan began, so anything changed
  during the scan is read again by the next incremental run.
* Incremental: the search API on `lastmodifieddate` / `hs_lastmodifieddate`, keyset-paginated:
  every page is a fresh query starting at the last seen timestamp (`GTE`, `after` always 0), so the
  10,000-result offset cap is never reached and records moving while we page cannot shift a page
  boundary. When more records than one page share one timestamp, they are drained by
  `hs_object_id` before moving on.
* Archived records come from the list API (`archived=true`); their version time is `archivedAt`,
  because archiving does not change the modification time.
* Property history (`propertiesWithHistory`): the list API returns it; search does not, so records
  found by search are re-read with their history (batch read, 100 ids a call). A large incremental
  backlog of such an object is read with the list API instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.base import Page, RunContext
from extractors.engine.errors import ApiError
from extractors.engine.loader import latest_versions
from extractors.engine.records import RawRow, RowSpec, parse_timestamp
from extractors.engine.state import SyncState
from extractors.engine.tombstones import tombstone_rows
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.paging import check_cursor, next_after
from extractors.hubspot.search import epoch_ms, keyset_search, record_ts
from extractors.hubspot.vanished import CHECKED_AT, due, vanished_rows
from funnelhouse.core.raw import raw_table, table_name
from funnelhouse.core.settings import EXTRA_OBJECTS_VARS, extra_objects

SOURCE = "hubspot"
HISTORY = {"contacts": ["lifecyclestage", "recent_conversion_event_name", "hs_merged_object_ids"],
           "deals": ["dealstage"]}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}
# Objects HubSpot merges: the survivor names the merged-away ids in `hs_merged_object_ids`.
MERGEABLE = ("contacts", "deals", "companies")
# A backlog this large of an object with history is cheaper to re-list than to re-read one by one.
HISTORY_SEARCH_LIMIT = 2000


def _archived(record: Any) -> bool:
    value = record.get("archived", False)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _archived_at(record: Any) -> datetime | None:
    value = record.get("archivedAt") if _archived(record) else None
    return parse_timestamp(value) if value else None


def hubspot_spec(object_name: str) -> RowSpec:
    return RowSpec(SOURCE, object_name, "id", ("updatedAt",), deleted=_archived, override=_archived_at)


class HubSpotObject:
    source = SOURCE

    def __init__(self, api: HubSpotApi, object_type: str):
        self.api = api
        self.object_name = object_type
        self.table = table_name(object_type)  # a custom object type id: 2-4000001 -> custom_2_4000001
        self.spec = hubspot_spec(object_type)
        self.history = HISTORY.get(object_type, [])
        self.modified = MODIFIED_PROPERTY.get(object_type, "hs_lastmodifieddate")
        # Filled by the archived pass (every run): what the id reconciliation must not call vanished.
        self.archived_ids: set[str] = set()
        self.archived_complete = False
        self.checked_at: str | None = None
        # Filled by a list scan that ran from the first page to the last in this run: every live id.
        self.listed: set[str] | None = None

    def preflight(self) -> None:
        """Before the raw table is created: an extra object the portal does not have fails in one line
        naming the setting (custom object type ids or fully qualified names, see GET /crm/v3/schemas)."""
        if self.object_name not in extra_objects(SOURCE):
            return
        try:
            self.api.properties(self.object_name)
        except ApiError as exc:
            if exc.status not in (400, 404):
                raise
            raise ApiError(f"hubspot {self.object_name}: {EXTRA_OBJECTS_VARS[SOURCE]} names {self.object_name!r}, "
                           f"which this portal does not have (HTTP {exc.status}); use a custom object's objectTypeId "
                           "(e.g. 2-4000001) or fullyQualifiedName from GET /crm/v3/schemas", exc.status) from None

    def property_names(self) -> list[str]:
        return sorted({p["name"] for p in self.api.properties(self.object_name) if p.get("name")})

    def _property_chunks(self, max_uri: int) -> list[list[str]]:
        """Split the property list so each list request's query string stays under the URI limit."""
        chunks: list[list[str]] = [[]]
        budget = max_uri - 600 - sum(len(h) + 24 for h in self.history)
        used = 0
        for name in self.property_names():
            cost = len(name) + 12  # "&properties=" per name
            if chunks[-1] and used + cost > budget:
                chunks.append([])
                used = 0
            chunks[-1].append(name)
            used += cost
        return chunks

    # -- pages --------------------------------------------------------------------------------
    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        self.api.bind(ctx)
        self.checked_at = state.cursor.get(CHECKED_AT)
        last = state
        for page in self._changed_pages(state, ctx):
            last = page.state
            yield self._keep_checked(page)
        for page in self._archived_pages(last, ctx):
            yield self._keep_checked(page)

    def _keep_checked(self, page: Page) -> Page:
        """Carry when ids were last compared through every committed state (the tombstone pass that
        writes it need not run every run: EXTRACT_RECONCILE_HOURS)."""
        if self.checked_at:
            page.state.cursor.setdefault(CHECKED_AT, self.checked_at)
        return page

    def _changed_pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        if state.cursor.get("phase") == "list" or state.watermark is None:
            ctx.path.add("list")
            yield from self._list_pages(state, ctx)
        else:
            start = state.watermark - ctx.options.overlap
            if self.history and self._backlog(start) > HISTORY_SEARCH_LIMIT:
                ctx.path.add("list")
                yield from self._list_pages(SyncState(SOURCE, self.object_name, state.watermark,
                                                      reconciled_at=state.reconciled_at), ctx)
            else:
                ctx.path.add("search")
                yield from self._search_pages(state, ctx, start)

    def _newest(self) -> datetime | None:
        body = {"sorts": [{"propertyName": self.modified, "direction": "DESCENDING"}],
                "properties": [self.modified], "limit": 1, "after": "0"}
        results = self.api.search(self.object_name, body).get("results", [])
        return record_ts(results[0]) if results else None

    def _backlog(self, start: datetime) -> int:
        body = {"filterGroups": [{"filters": [{"propertyName": self.modified, "operator": "GTE",
                                               "value": epoch_ms(start)}]}],
                "properties": [self.modified], "limit": 1, "after": "0"}
        return int(self.api.search(self.object_name, body).get("total", 0))

    def _list_pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        cursor = dict(state.cursor) if state.cursor.get("phase") == "list" else {}
        listed: set[str] | None = None if cursor else set()  # a resumed scan has not seen every id
        if not cursor:
            newest = self._newest()
            cursor = {"phase": "list", "after": None, "scan_start": newest.isoformat() if newest else None}
        chunks = self._property_chunks(ctx.options.max_uri_length)
        after = cursor.get("after")
        while True:
            # HubSpot caps list pages at 50 when property history is requested.
            limit = min(ctx.options.hubspot_page_size, 50 if self.history else 100)
            data = self.api.list_page(self.object_name, after, limit, chunks[0], self.history)
            records = list(data.get("results", []))
            if listed is not None:
                listed.update(str(r["id"]) for r in records if isinstance(r, dict) and r.get("id"))
            if len(chunks) > 1:
                records = self._complete(records, after, limit, chunks[1:])
            after = check_cursor(f"{self.object_name} list", after, next_after(data))
            if after:
                next_state = SyncState(SOURCE, self.object_name, state.watermark, None,
                                       {**cursor, "after": after}, state.reconciled_at)
            else:
                scan_start = parse_timestamp(cursor["scan_start"]) if cursor.get("scan_start") else None
                seen = [t for t in map(record_ts, records) if t]
                watermark = scan_start or max(seen, default=None) or state.watermark
                next_state = SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at)
            yield Page(records, next_state)
            if not after:
                self.listed = listed
                return

    def _complete(self, records: list[Any], after: str | None, limit: int, chunks: list[list[str]],
                  archived: bool = False) -> list[Any]:
        """Fetch the remaining property chunks for the same page and merge them by id. A record that
        is missing from a chunk or changed in between is left out of this page: its newer version is
        after the scan's start, so the next incremental run reads it."""
        merged = {r["id"]: r for r in records if isinstance(r, dict) and r.get("id")}
        for names in chunks:
            data = self.api.list_page(self.object_name, after, limit, names, archived=archived)
            parts = {r.get("id"): r for r in data.get("results", [])}
            for record_id in list(merged):
                part = parts.get(record_id)
                if part is None or part.get("updatedAt") != merged[record_id].get("updatedAt"):
                    merged.pop(record_id)
                    continue
                merged[record_id]["properties"].update(part.get("properties") or {})
        return [r for r in records if not isinstance(r, dict) or not r.get("id") or r["id"] in merged]

    def _search_pages(self, state: SyncState, ctx: RunContext, start: datetime) -> Iterator[Page]:
        watermark = state.watermark
        for page in keyset_search(self.api, self.object_name, self.modified, self.property_names(), start,
                                  ctx.options.search_page_size):
            watermark = max(filter(None, [watermark, page.watermark]), default=None)
            yield Page(self._with_history(page.records),
                       SyncState(SOURCE, self.object_name, watermark, page.last_id, {}, state.reconciled_at))

    def _with_history(self, records: list[Any]) -> list[Any]:
        """Search results carry no property history; re-read those records (100 per batch) with it.
        A record gone in between (archived) is left to the archived pass."""
        if not self.history:
            return records
        properties = self.property_names()
        ids = [str(r["id"]) for r in records if isinstance(r, dict) and r.get("id")]
        fresh: dict[str, Any] = {}
        for i in range(0, len(ids), 100):
            data = self.api.batch_read(self.object_name, ids[i:i + 100], properties, self.history)
            fresh.update({str(r.get("id")): r for r in data.get("results", []) if isinstance(r, dict)})
        return [fresh[str(r["id"])] if isinstance(r, dict) and str(r.get("id")) in fresh else r
                for r in records if not isinstance(r, dict) or not r.get("id") or str(r["id"]) in fresh]

    def _archived_pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        after = None
        chunks = self._property_chunks(ctx.options.max_uri_length)
        limit = min(ctx.options.hubspot_page_size, 100)
        while True:
            data = self.api.list_page(self.object_name, after, limit, chunks[0], archived=True)
            records = [r for r in data.get("results", []) if isinstance(r, dict)]
            if len(chunks) > 1:
                records = self._complete(records, after, limit, chunks[1:], archived=True)
            after = check_cursor(f"{self.object_name} archived list", after, next_after(data))
            self.archived_ids.update(str(r["id"]) for r in records if r.get("id"))
            # Archived pages do not move the watermark: they are re-listed every run (HubSpot keeps them 90 days).
            yield Page(records, state)
            if not after:
                self.archived_complete = True
                return

    # -- deletions ----------------------------------------------------------------------------
    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        """Merged-away records (named by their survivors' `hs_merged_object_ids`) and records that
        vanished without being archived (`vanished.py`, at most once per HUBSPOT_RECONCILE_HOURS)."""
        known = latest_versions(conn, SOURCE, self.table)
        out = self._merged(conn, known, now) if self.object_name in MERGEABLE else []
        checked = state.cursor.get(CHECKED_AT) or self.checked_at
        skip = {r.id for r in out}
        if self.archived_complete and self.listed is not None:
            # This run listed every id anyway: the comparison costs nothing.
            out += vanished_rows(conn, None, self.object_name, self.table, known, self.listed | self.archived_ids,
                                 skip, now)
            checked = now.isoformat()
        elif self.archived_complete and due(SyncState(SOURCE, self.object_name, cursor={CHECKED_AT: checked}),
                                            ctx, now):
            out += vanished_rows(conn, self.api, self.object_name, self.table, known, self.archived_ids, skip, now)
            checked = now.isoformat()
        if checked:
            # The engine stores this state after the tombstones: keep when ids were last compared.
            state.cursor[CHECKED_AT] = checked
        return out

    def _merged(self, conn: psycopg.Connection, known: dict[str, tuple[datetime, bool]], now: datetime
                ) -> list[RawRow]:
        rows = conn.execute(sql.SQL(
            """with latest as (
                   select distinct on (id) id, record, is_deleted from {t} order by id, source_updated_at desc)
               select m.merged_id, l.id from latest l,
                    unnest(string_to_array(l.record->'properties'->>'hs_merged_object_ids', ';')) as m(merged_id)
               where not l.is_deleted and m.merged_id <> '' and m.merged_id <> l.id"""
        ).format(t=raw_table(SOURCE, self.table))).fetchall()
        survivors = {merged: primary for merged, primary in rows}
        gone = [m for m in survivors if m in known and not known[m][1]]
        out: list[RawRow] = []
        for row in tombstone_rows(conn, SOURCE, self.table, gone, known, now):
            row.record["_merged_into"] = survivors[row.id]
            out.append(row)
        return out
