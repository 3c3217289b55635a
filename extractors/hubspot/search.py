"""Keyset pagination over the HubSpot search API.

Offset paging (`after`) has two faults: HubSpot refuses offsets past 10,000 results, and a record
modified while we page moves to the end of the sort, shifting every later offset by one, so a
record can be skipped. Here each page is a fresh query from the last seen modification time
(`GTE`, `after` = 0): the cap is never reached, a moved record is simply read again later, and a
record on a page boundary is read twice (a no-op for the versioned raw layer). When more records
than a page share one instant, that instant is drained by `hs_object_id` before going on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from extractors.engine.records import TimestampError, parse_timestamp
from extractors.hubspot.api import HubSpotApi


@dataclass
class SearchPage:
    records: list[dict[str, Any]]
    watermark: datetime | None  # every record modified before this instant has been returned
    last_id: str | None  # while draining one instant: the highest id returned at it


def epoch_ms(ts: datetime) -> str:
    return str(int(ts.timestamp() * 1000))


def record_ts(record: Any) -> datetime | None:
    try:
        return parse_timestamp(record.get("updatedAt")) if isinstance(record, dict) else None
    except TimestampError:
        return None


def keyset_search(api: HubSpotApi, object_type: str, modified: str, properties: list[str],
                  start: datetime | None, limit: int, extra_filters: list[dict[str, Any]] | None = None
                  ) -> Iterator[SearchPage]:
    extra = list(extra_filters or [])
    bound, strict = start, False
    while True:
        filters = list(extra)
        if bound is not None:
            filters.append({"propertyName": modified, "operator": "GT" if strict else "GTE",
                            "value": epoch_ms(bound)})
        body: dict[str, Any] = {"sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                                "properties": properties, "limit": limit, "after": "0"}
        if filters:
            body["filterGroups"] = [{"filters": filters}]
        records = [r for r in api.search(object_type, body).get("results", [])]
        if not records:
            return
        stamps = [t for t in map(record_ts, records) if t]
        last = max(stamps, default=bound)
        if len(records) >= limit and last is not None and last == min(stamps, default=last):
            # A whole page at one instant: page through that instant by id, then continue after it.
            yield from _drain(api, object_type, modified, properties, last, limit, extra)
            bound, strict = last, True
            continue
        yield SearchPage(records, last, None)
        if len(records) < limit:
            return
        bound, strict = last, False


def _drain(api: HubSpotApi, object_type: str, modified: str, properties: list[str], instant: datetime,
           limit: int, extra: list[dict[str, Any]]) -> Iterator[SearchPage]:
    last_id = "0"
    while True:
        filters = [*extra, {"propertyName": modified, "operator": "EQ", "value": epoch_ms(instant)},
                   {"propertyName": "hs_object_id", "operator": "GT", "value": last_id}]
        body = {"filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": properties, "limit": limit, "after": "0"}
        records = list(api.search(object_type, body).get("results", []))
        if not records:
            return
        ids = [int(r["id"]) for r in records if str(r.get("id", "")).isdigit()]
        last_id = str(max(ids)) if ids else last_id
        yield SearchPage(records, instant, last_id)
        if len(records) < limit or not ids:
            return
