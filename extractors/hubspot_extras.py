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

from extractors.base import Page, RunContext
from extractors.hubspot import SOURCE, hubspot_spec
from extractors.hubspot_api import HubSpotApi
from extractors.hubspot_search import keyset_search, record_ts
from extractors.records import RawRow, RowSpec, TimestampError, parse_timestamp
from extractors.state import SyncState

# Associations the marts need: from-object -> to-objects.
ASSOCIATION_PAIRS: dict[str, tuple[str, ...]] = {
    "contacts": ("companies",),
    "deals": ("contacts", "companies", "line_items"),
    "calls": ("contacts", "deals"),
    "emails": ("contacts", "deals"),
    "meetings": ("contacts", "deals"),
}
_MODIFIED = {"contacts": "lastmodifieddate"}


def _next_after(data: dict[str, Any]) -> str | None:
    return ((data.get("paging") or {}).get("next") or {}).get("after")


def _max(*values: datetime | None) -> datetime | None:
    return max((v for v in values if v is not None), default=None)


class _NoTombstones:
    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        return []


class Owners(_NoTombstones):
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
                watermark = _max(watermark, *map(record_ts, records))
                yield Page(records, SyncState(SOURCE, "owners", watermark, None, {}, state.reconciled_at))
                after = _next_after(data)
                if not after:
                    break


def _pipeline_version(record: Any) -> datetime | None:
    """A stage edit need not touch the pipeline's own updatedAt; the newest of both versions the row."""
    stamps = []
    for stage in record.get("stages") or []:
        if isinstance(stage, dict) and stage.get("updatedAt"):
            stamps.append(parse_timestamp(stage["updatedAt"]))
    return max(stamps, default=None)


class DealPipelines(_NoTombstones):
    source, object_name, table = SOURCE, "deal_pipelines", "deal_pipelines"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "deal_pipelines", "id", ("updatedAt",),
                            deleted=lambda r: r.get("archived") is True, override=_pipeline_version)

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        records = list(self.api.pipelines("deals").get("results", []))
        watermark = _max(state.watermark, *map(record_ts, records))
        yield Page(records, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))


class Associations(_NoTombstones):
    """Rows `{fromObjectType, fromObjectId, toObjectType, results: [v4 association objects]}`."""

    source, object_name, table = SOURCE, "associations", "associations"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "associations", "id", ("updatedAt",))

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        # One watermark per from-object type, kept in the cursor; the row's watermark is their minimum.
        marks: dict[str, str | None] = dict(state.cursor.get("from", {})) if state.cursor else {}
        for from_type, to_types in ASSOCIATION_PAIRS.items():
            mark = parse_timestamp(marks[from_type]) if marks.get(from_type) else None
            for ids, page_mark in self._changed(from_type, mark, ctx):
                mark = _max(mark, page_mark)
                rows = [row for to_type in to_types for row in self._read(from_type, to_type, ids)]
                marks[from_type] = mark.isoformat() if mark else None
                known = [parse_timestamp(v) for v in marks.values() if v]
                yield Page(rows, SyncState(SOURCE, self.object_name, min(known, default=None), None,
                                           {"from": dict(marks)}, state.reconciled_at))

    def _changed(self, from_type: str, mark: datetime | None, ctx: RunContext
                 ) -> Iterator[tuple[dict[str, str], datetime | None]]:
        """(id -> updatedAt) of from-objects changed since the mark, page by page."""
        modified = _MODIFIED.get(from_type, "hs_lastmodifieddate")
        start = mark - ctx.options.overlap if mark else None
        for page in keyset_search(self.api, from_type, modified, [modified], start, ctx.options.search_page_size):
            ids = {str(r["id"]): r.get("updatedAt", "") for r in page.records if isinstance(r, dict) and r.get("id")}
            yield ids, page.watermark

    def _read(self, from_type: str, to_type: str, ids: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending = [{"id": i} for i in ids]
        collected: dict[str, list[Any]] = {i: [] for i in ids}
        while pending:
            batch, pending = pending[:100], pending[100:]
            data = self.api.associations(from_type, to_type, batch)
            for result in data.get("results", []):
                from_id = str((result.get("from") or {}).get("id", ""))
                if from_id in collected:
                    collected[from_id].extend(result.get("to") or [])
                    after = _next_after(result)
                    if after:
                        pending.append({"id": from_id, "after": after})
        for from_id, targets in collected.items():
            targets.sort(key=lambda t: str(t.get("toObjectId")))
            out.append({"id": f"{from_type}:{from_id}:{to_type}", "updatedAt": ids[from_id],
                        "fromObjectType": from_type, "fromObjectId": from_id, "toObjectType": to_type,
                        "results": targets})
        return out


class ContactMerges(_NoTombstones):
    """One row per merged-away contact: `{mergedId, primaryId, mergedAt, primaryAdditionalEmails}`."""

    source, object_name, table = SOURCE, "contact_merges", "contact_merges"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "contact_merges", "mergedId", ("mergedAt",))

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        start = state.watermark - ctx.options.overlap if state.watermark else None
        has_merges = [{"propertyName": "hs_merged_object_ids", "operator": "HAS_PROPERTY"}]
        watermark = state.watermark
        for page in keyset_search(self.api, "contacts", "lastmodifieddate", ["hs_merged_object_ids"], start,
                                  ctx.options.search_page_size, has_merges):
            rows: list[Any] = []
            for survivor in page.records:
                if isinstance(survivor, dict) and survivor.get("id"):
                    rows.extend(self._merges(str(survivor["id"])))
            watermark = _max(watermark, page.watermark)
            yield Page(rows, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))

    def _merges(self, primary_id: str) -> list[dict[str, Any]]:
        record = self.api.get_by_id("contacts", primary_id, ["hs_merged_object_ids", "hs_additional_emails"],
                                    ["hs_merged_object_ids"])
        props = record.get("properties") or {}
        history = (record.get("propertiesWithHistory") or {}).get("hs_merged_object_ids") or []
        merged_at: dict[str, str] = {}
        for entry in sorted(history, key=lambda h: str(h.get("timestamp", ""))):
            for merged in str(entry.get("value") or "").split(";"):
                if merged and merged not in merged_at:
                    merged_at[merged] = entry.get("timestamp")
        out = []
        for merged in filter(None, str(props.get("hs_merged_object_ids") or "").split(";")):
            when = merged_at.get(merged) or record.get("updatedAt")
            try:
                parse_timestamp(when)
            except TimestampError:
                pass  # the rejection will name the field
            out.append({"mergedId": merged, "primaryId": primary_id, "mergedAt": when,
                        "primaryAdditionalEmails": props.get("hs_additional_emails")})
        return out
