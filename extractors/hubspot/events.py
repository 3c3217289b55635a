"""HubSpot marketing events and their participations (the event-attendance touch source).

Both are small enough to re-list every run; versions already stored are no-ops. A participation
record is stored as sent plus `marketingEventId` / `externalEventId` when absent (the Salesforce Campaign Id
for sandbox webinars and events), because the breakdown endpoint is per event and its rows need
not repeat which event they belong to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from extractors.engine.base import Page, RunContext
from extractors.engine.records import RowSpec, TimestampError, parse_timestamp
from extractors.engine.state import SyncState
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.objects import SOURCE
from extractors.hubspot.paging import NoTombstones, latest, next_after


def _event_id(record: Mapping[str, Any]) -> Any:
    return record.get("objectId") or record.get("id")


def _get(record: Mapping[str, Any], name: str) -> Any:
    if name == "id":
        return _event_id(record)
    if name == "occurredAt":
        value = (record.get("properties") or {}).get("occurredAt")
        return str(value) if value is not None else None
    return record.get(name)


def _version(record: Any) -> datetime | None:
    for name in ("updatedAt", "createdAt"):
        try:
            if record.get(name):
                return parse_timestamp(record[name])
        except TimestampError:
            continue
    return None


class MarketingEvents(NoTombstones):
    source, object_name, table = SOURCE, "marketing_events", "marketing_events"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, "marketing_events", "id", ("updatedAt", "createdAt"), getter=_get,
                            deleted=lambda r: r.get("archived") is True)

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        watermark = state.watermark
        for records in list_events(self.api):
            watermark = latest(watermark, *map(_version, records))
            yield Page(records, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))


def list_events(api: HubSpotApi) -> Iterator[list[dict[str, Any]]]:
    after = None
    while True:
        data = api.marketing_events(after)
        yield [r for r in data.get("results", [])]
        after = next_after(data)
        if not after:
            return


class Participations(NoTombstones):
    source, object_name, table = SOURCE, "marketing_event_participations", "marketing_event_participations"

    def __init__(self, api: HubSpotApi):
        self.api = api
        self.spec = RowSpec(SOURCE, self.object_name, "id", ("updatedAt", "createdAt", "occurredAt"), getter=_get)

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        events = [e for page in list_events(self.api) for e in page if isinstance(e, dict) and _event_id(e)]
        watermark = state.watermark
        for event in events:
            event_id = str(_event_id(event))
            after = None
            while True:
                data = self.api.participations(event_id, after)
                records = []
                for record in data.get("results", []):
                    if isinstance(record, dict):
                        # The breakdown is per event; say which one when the rows do not.
                        record = {"marketingEventId": event_id, "externalEventId": event.get("externalEventId"),
                                  **record}
                    records.append(record)
                watermark = latest(watermark, *(_version(r) for r in records if isinstance(r, dict)))
                yield Page(records, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))
                after = next_after(data)
                if not after:
                    break
