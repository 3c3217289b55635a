"""HubSpot objects outside the CRM-object endpoints: owners, deal pipelines, associations, contact merges.

Owners and pipelines are small and re-listed every run (a re-read version is a no-op). Associations
have no timestamps of their own: one row per (from object, to type) holding all its associations,
versioned by the from object's `updatedAt`, read for the from objects changed since the watermark.
Contact merges are derived from survivors' `hs_merged_object_ids`, timed by that property's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.base import Page, RunContext
from extractors.engine.loader import latest_versions
from extractors.engine.records import RawRow, RowSpec, TimestampError, parse_timestamp
from extractors.engine.state import SyncState
from extractors.engine.tombstones import tombstone_rows
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.objects import SOURCE, hubspot_spec
from extractors.hubspot.paging import NoTombstones, latest, next_after
from extractors.hubspot.search import keyset_search, record_ts
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


class Owners(NoTombstones):
    source, object_name, table = SOURCE, "owners", "owners"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = hubspot_spec("owners")

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        watermark = state.watermark
        for archived in (False, True):
            after = None
            while True:
                data = self.api.owners_page(after, archived)
                records = list(data.get("results", []))
                watermark = latest(watermark, *map(record_ts, records))
                yield Page(records, SyncState(SOURCE, "owners", watermark, None, {}, state.reconciled_at))
                after = next_after(data)
                if not after:
                    break


def _pipeline_version(record: Any) -> datetime | None:
    """A stage edit need not touch the pipeline's own updatedAt; the newest of both versions the row."""
    stamps = []
    for stage in record.get("stages") or []:
        if isinstance(stage, dict) and stage.get("updatedAt"):
            stamps.append(parse_timestamp(stage["updatedAt"]))
    return max(stamps, default=None)


class DealPipelines(NoTombstones):
    source, object_name, table = SOURCE, "deal_pipelines", "deal_pipelines"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "deal_pipelines", "id", ("updatedAt",),
                            deleted=lambda r: r.get("archived") is True, override=_pipeline_version)

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        records = list(self.api.pipelines("deals").get("results", []))
        watermark = latest(state.watermark, *map(record_ts, records))
        yield Page(records, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))


class Associations:
    """One row per association `{fromObjectType, fromObjectId, toObjectType, toObjectId, associationTypes}`.

    A pair is versioned by its from object's `updatedAt` when first seen or when its types change;
    a pair that disappears from a re-read from object gets a tombstone."""

    source, object_name, table = SOURCE, "associations", "associations"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "associations", "id", ("updatedAt",))
        # (from type, from id) -> (pair ids seen now, the from object's updatedAt when read)
        self.current: dict[tuple[str, str], tuple[set[str], str]] = {}

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        # One watermark per from-object type, kept in the cursor; the row's watermark is their minimum.
        marks: dict[str, str | None] = dict(state.cursor.get("from", {})) if state.cursor else {}
        for from_type, to_types in ASSOCIATION_PAIRS.items():
            mark = parse_timestamp(marks[from_type]) if marks.get(from_type) else None
            for ids, page_mark in self._changed(from_type, mark, ctx):
                mark = latest(mark, page_mark)
                pairs = [row for to_type in to_types for row in self._read(from_type, to_type, ids)]
                for from_id, updated in ids.items():
                    self.current[(from_type, from_id)] = (set(), updated)
                for pair in pairs:
                    self.current[(from_type, pair["fromObjectId"])][0].add(pair["id"])
                marks[from_type] = mark.isoformat() if mark else None
                known = [parse_timestamp(v) for v in marks.values() if v]
                yield Page(self._changed_pairs(ctx, pairs),
                           SyncState(SOURCE, self.object_name, min(known, default=None), None,
                                     {"from": dict(marks)}, state.reconciled_at))

    def _changed_pairs(self, ctx: RunContext, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop pairs whose latest stored version is live and has the same association types."""
        if not pairs or ctx.dsn is None:
            return pairs
        with psycopg.connect(ctx.dsn) as conn:
            stored = dict(conn.execute(sql.SQL(
                "select distinct on (id) id, case when is_deleted then null else record->'associationTypes' end "
                "from {} where id = any(%s) order by id, source_updated_at desc").format(
                    raw_table(SOURCE, self.table)), ([p["id"] for p in pairs],)).fetchall())
        return [p for p in pairs if stored.get(p["id"]) != p["associationTypes"]]

    def _changed(self, from_type: str, mark: datetime | None, ctx: RunContext
                 ) -> Iterator[tuple[dict[str, str], datetime | None]]:
        """(id -> updatedAt) of from-objects changed since the mark, page by page. The first time, the
        list API (cursor paging, cheap for the server) is used; its mark is then the newest change
        that existed when the scan began, so what changes during the scan is read again next run."""
        modified = _MODIFIED.get(from_type, "hs_lastmodifieddate")
        if mark is None:
            newest = self.api.search(from_type, {"sorts": [{"propertyName": modified, "direction": "DESCENDING"}],
                                                 "properties": [modified], "limit": 1, "after": "0"})
            scan_start = next((record_ts(r) for r in newest.get("results", [])), None)
            after = None
            while True:
                data = self.api.list_page(from_type, after, 100, [modified])
                ids = {str(r["id"]): r.get("updatedAt", "") for r in data.get("results", [])
                       if isinstance(r, dict) and r.get("id")}
                after = next_after(data)
                yield ids, (None if after else scan_start)
                if not after:
                    return
        start = mark - ctx.options.overlap
        for page in keyset_search(self.api, from_type, modified, [modified], start, ctx.options.search_page_size):
            ids = {str(r["id"]): r.get("updatedAt", "") for r in page.records if isinstance(r, dict) and r.get("id")}
            yield ids, page.watermark

    def _read(self, from_type: str, to_type: str, ids: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending = [{"id": i} for i in ids]
        while pending:
            batch, pending = pending[:100], pending[100:]
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

    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        if not self.current:
            return []
        known = latest_versions(conn, SOURCE, self.table)
        out: list[RawRow] = []
        for pair_id, (_, deleted) in known.items():
            from_type, from_id, _rest = pair_id.split(":", 2)
            seen = self.current.get((from_type, from_id))
            if deleted or seen is None or pair_id in seen[0]:
                continue
            # Removed when its from object changed: version it at that change, on the source's clock (an
            # association can come back later, and must then sort after this tombstone).
            try:
                when = parse_timestamp(seen[1])
            except TimestampError:
                when = now
            out.extend(tombstone_rows(conn, SOURCE, self.table, [pair_id], known, when))
        return out


class ContactMerges(NoTombstones):
    """One row per merged-away contact: `{mergedId, primaryId, mergedAt, primaryAdditionalEmails}`."""

    source, object_name, table = SOURCE, "contact_merges", "contact_merges"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "contact_merges", "mergedId", ("mergedAt",))

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        start = state.watermark - ctx.options.overlap if state.watermark else None
        has_merges = [{"propertyName": "hs_merged_object_ids", "operator": "HAS_PROPERTY"}]
        watermark = state.watermark
        stored = self._stored(ctx)
        for page in keyset_search(self.api, "contacts", "lastmodifieddate", ["hs_merged_object_ids"], start,
                                  ctx.options.search_page_size, has_merges):
            unread: list[str] = []
            for survivor in page.records:
                if not isinstance(survivor, dict) or not survivor.get("id"):
                    continue
                # A merge is final: a survivor whose merged ids are all stored needs no second read.
                listed = str((survivor.get("properties") or {}).get("hs_merged_object_ids") or "").split(";")
                if not all(m in stored for m in listed if m):
                    unread.append(str(survivor["id"]))
            rows: list[Any] = []
            for i in range(0, len(unread), 100):
                data = self.api.batch_read("contacts", unread[i:i + 100],
                                           ["hs_merged_object_ids", "hs_additional_emails"], ["hs_merged_object_ids"])
                for record in data.get("results", []):
                    rows.extend(m for m in self._merges(record) if m["mergedId"] not in stored)
            watermark = latest(watermark, page.watermark)
            yield Page(rows, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))

    def _stored(self, ctx: RunContext) -> set[str]:
        if ctx.dsn is None:
            return set()
        with psycopg.connect(ctx.dsn) as conn:
            return {r[0] for r in conn.execute(sql.SQL("select distinct id from {}").format(
                raw_table(SOURCE, self.table))).fetchall()}

    def _merges(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        primary_id = str(record.get("id"))
        props = record.get("properties") or {}
        history = (record.get("propertiesWithHistory") or {}).get("hs_merged_object_ids") or []
        merged_at: dict[str, str] = {}
        for entry in sorted(history, key=lambda h: str(h.get("timestamp", ""))):
            for merged in str(entry.get("value") or "").split(";"):
                if merged and merged not in merged_at:
                    merged_at[merged] = entry.get("timestamp")
        out = []
        merged_ids = [m for m in str(props.get("hs_merged_object_ids") or "").split(";") if m]
        emails = [e for e in str(props.get("hs_additional_emails") or "").split(";") if e]
        # HubSpot lists the merged ids and their emails in merge order; pair them only when both are complete.
        email_of = dict(zip(merged_ids, emails, strict=True)) if len(emails) == len(merged_ids) else {}
        for merged in merged_ids:
            when = merged_at.get(merged) or record.get("updatedAt")
            try:
                parse_timestamp(when)
            except TimestampError:
                pass  # the rejection will name the field
            out.append({"mergedId": merged, "primaryId": primary_id, "mergedAt": when,
                        "mergedEmail": email_of.get(merged),
                        "primaryAdditionalEmails": props.get("hs_additional_emails")})
        return out
