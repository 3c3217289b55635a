"""HubSpot deal and company merges (contacts: `extras.ContactMerges`).

A merged-away deal or company stops being listed; its survivor carries `hs_merged_object_ids`
(`;`-separated). One row per merged-away record, `{objectType, mergedId, primaryId, mergedAt}` (id
`<type>:<mergedId>`), timed by the history of that property (else the survivor's `updatedAt`), read
for the survivors changed since the watermark (search on `HAS_PROPERTY hs_merged_object_ids`). A
merge is final: a survivor whose merged ids are all stored is not read again. The merged-away record
itself gets its tombstone from its own object's run (`HubSpotObject.tombstones`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from extractors.engine.base import Page, RunContext
from extractors.engine.records import RowSpec, parse_timestamp
from extractors.engine.state import SyncState
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.objects import SOURCE
from extractors.hubspot.paging import NoTombstones, latest
from extractors.hubspot.search import keyset_search
from funnelhouse.core.raw import raw_table

MERGED_TYPES = ("deals", "companies")
MERGED = "hs_merged_object_ids"


def merge_times(record: dict[str, Any]) -> dict[str, str]:
    """merged id -> when it first appeared in the survivor's `hs_merged_object_ids` history."""
    history = (record.get("propertiesWithHistory") or {}).get(MERGED) or []
    merged_at: dict[str, str] = {}
    for entry in sorted(history, key=lambda h: str(h.get("timestamp", ""))):
        for merged in str(entry.get("value") or "").split(";"):
            if merged and merged not in merged_at:
                merged_at[merged] = entry.get("timestamp")
    return merged_at


class ObjectMerges(NoTombstones):
    source, object_name, table = SOURCE, "object_merges", "object_merges"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "object_merges", "id", ("mergedAt",))

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        self.api.bind(ctx)
        marks: dict[str, str | None] = dict(state.cursor.get("from", {})) if state.cursor else {}
        stored = self._stored(ctx)
        has_merges = [{"propertyName": MERGED, "operator": "HAS_PROPERTY"}]
        for object_type in MERGED_TYPES:
            mark = parse_timestamp(marks[object_type]) if marks.get(object_type) else None
            start = mark - ctx.options.overlap if mark else None
            for page in keyset_search(self.api, object_type, "hs_lastmodifieddate", [MERGED], start,
                                      ctx.options.search_page_size, has_merges):
                unread = [str(r["id"]) for r in page.records if isinstance(r, dict) and r.get("id")
                          and not all(f"{object_type}:{m}" in stored
                                      for m in str((r.get("properties") or {}).get(MERGED) or "").split(";") if m)]
                rows: list[dict[str, Any]] = []
                for i in range(0, len(unread), 100):
                    data = self.api.batch_read(object_type, unread[i:i + 100], [MERGED], [MERGED])
                    for record in data.get("results", []):
                        rows.extend(r for r in self._merges(object_type, record) if r["id"] not in stored)
                mark = latest(mark, page.watermark)
                marks[object_type] = mark.isoformat() if mark else None
                known = [parse_timestamp(v) for v in marks.values() if v]
                yield Page(rows, SyncState(SOURCE, self.object_name, min(known, default=None), None,
                                           {"from": dict(marks)}, state.reconciled_at))

    def _stored(self, ctx: RunContext) -> set[str]:
        if ctx.dsn is None:
            return set()
        with psycopg.connect(ctx.dsn) as conn:
            return {r[0] for r in conn.execute(sql.SQL("select distinct id from {}").format(
                raw_table(SOURCE, self.table))).fetchall()}

    @staticmethod
    def _merges(object_type: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        primary = str(record.get("id"))
        times = merge_times(record)
        merged = [m for m in str((record.get("properties") or {}).get(MERGED) or "").split(";") if m]
        return [{"id": f"{object_type}:{m}", "objectType": object_type, "mergedId": m, "primaryId": primary,
                 "mergedAt": times.get(m) or record.get("updatedAt")} for m in merged]
