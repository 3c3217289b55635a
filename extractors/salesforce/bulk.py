"""Bulk API 2.0 query path for large Salesforce backlogs (initial loads, long outages).

Bulk results are not ordered, so the watermark only moves when the job's last page is committed;
until then each committed page stores the job id and the next result locator in the sync state,
and a crashed run resumes reading the same job instead of starting over. CSV values are turned
back into the REST JSON shapes (describe types), so a record is byte-identical whichever path
fetched it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from extractors.engine.base import Page, RunContext
from extractors.engine.errors import ApiError
from extractors.engine.records import TimestampError, format_ts, parse_timestamp
from extractors.engine.retry import call
from extractors.engine.state import SyncState
from extractors.salesforce.source import QuotaGuard, SalesforceSource


class BulkObject(Protocol):
    """What the bulk path needs of the object it reads (a `SalesforceObject`)."""

    source: str
    object_name: str
    sf: SalesforceSource
    ts_field: str

    def fields(self) -> list[dict[str, Any]]: ...

    def soql(self, start: datetime | None, names: list[str] | None = None, order: bool = True) -> str: ...

    def start_of_window(self, state: SyncState, ctx: RunContext) -> datetime | None: ...

_NUMBER_TYPES = {"int", "double", "currency", "percent", "long"}


def _rest_datetime(text: str) -> str:
    # Bulk writes 2024-01-05T10:00:00.000Z, REST 2024-01-05T10:00:00.000+0000.
    try:
        return format_ts(parse_timestamp(text)).replace("Z", "+0000")
    except TimestampError:
        return text


def convert_row(row: dict[str, str], types: dict[str, str], object_name: str, api_version: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.get("Id"):
        url = f"/services/data/v{api_version}/sobjects/{object_name}/{row['Id']}"
        out["attributes"] = {"type": object_name, "url": url}
    for name, text in row.items():
        kind = types.get(name, "string")
        if text == "" or text is None:
            out[name] = None
        elif kind == "boolean":
            out[name] = text.lower() == "true"
        elif kind in _NUMBER_TYPES:
            try:
                out[name] = json.loads(text)
            except ValueError:
                out[name] = text  # kept as sent; the field's consumer sees the odd value
        elif kind == "datetime":
            out[name] = _rest_datetime(text)
        else:
            out[name] = text
    return out


def bulk_pages(obj: BulkObject, state: SyncState, ctx: RunContext, guard: QuotaGuard,
               resume: bool) -> Iterator[Page]:
    counters = obj.sf.counters
    bulk = obj.sf.bulk_jobs
    types = {f["name"]: f.get("type", "string") for f in obj.fields()}
    version = obj.sf.client.sf_version
    what = f"salesforce {obj.object_name} bulk2"
    cursor = dict(state.cursor) if resume else {}
    if cursor.get("bulk_job"):
        job_id = cursor["bulk_job"]
        try:
            call(lambda: bulk.status(job_id), f"{what} job status", counters)
        except ApiError:
            # The job expired or is unknown: start over from the committed watermark.
            cursor = {}
    if not cursor.get("bulk_job"):
        start = obj.start_of_window(state, ctx)
        soql = obj.soql(start, order=False)
        guard.check()
        job = call(lambda: bulk.create(soql), f"{what} create job", counters)
        cursor = {"bulk_job": job["id"], "locator": "", "max_ts": None}
    job_id = cursor["bulk_job"]
    call(lambda: bulk.wait(job_id, ctx.options.bulk_poll_seconds), f"{what} wait", counters)
    locator = cursor.get("locator") or ""
    max_ts: datetime | None = parse_timestamp(cursor["max_ts"]) if cursor.get("max_ts") else None
    while True:
        guard.check()
        text, locator = call(lambda loc=locator: bulk.results(job_id, loc, ctx.options.bulk_page_size),
                             f"{what} results", counters)
        rows = [convert_row(r, types, obj.object_name, version) for r in csv.DictReader(io.StringIO(text))]
        for row in rows:
            try:
                ts = parse_timestamp(row.get(obj.ts_field))
            except TimestampError:
                continue
            max_ts = ts if max_ts is None or ts > max_ts else max_ts
        if locator:
            next_cursor = {"bulk_job": job_id, "locator": locator, "max_ts": max_ts.isoformat() if max_ts else None}
            page_state = SyncState(obj.source, obj.object_name, state.watermark, None, next_cursor, state.reconciled_at)
        else:
            watermark = max(filter(None, [state.watermark, max_ts]), default=None)
            page_state = SyncState(obj.source, obj.object_name, watermark, None, {}, state.reconciled_at)
        yield Page(rows, page_state)
        if not locator:
            return
