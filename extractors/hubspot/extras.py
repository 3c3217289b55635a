"""HubSpot objects outside the CRM-object endpoints: owners, deal pipelines, contact merges
(associations: `associations.py`).

Owners and pipelines are small and re-listed every run (a re-read version is a no-op).
Contact merges are derived from survivors' `hs_merged_object_ids`, timed by that property's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.base import Page, RunContext
from extractors.engine.records import RowSpec, TimestampError, parse_timestamp
from extractors.engine.state import SyncState
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.objects import SOURCE, hubspot_spec
from extractors.hubspot.paging import NoTombstones, latest, next_after
from extractors.hubspot.search import keyset_search, record_ts
from funnelhouse.core.raw import raw_table


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


class ContactMerges(NoTombstones):
    """One row per merged-away contact: `{mergedId, primaryId, mergedAt, primaryAdditionalEmails}`."""

    source, object_name, table = SOURCE, "contact_merges", "contact_merges"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "contact_merges", "mergedId", ("mergedAt",))

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        self.api.bind(ctx)
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
