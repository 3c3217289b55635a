"""Whole-object scans ordered by Id (the hard-delete id reconciliation, the formula refresh) that
survive what real orgs do to long queries (real-orgs.md):

* a query cursor that expired or was released (10 open per user; `INVALID_QUERY_LOCATOR`) is
  resumed by querying again after the last Id seen, never restarted from the top, never failed;
* every open cursor holds one of the shared slots (`EXTRACT_SF_MAX_CURSORS`, engine/cursor_slots.py);
* `QUERY_TIMEOUT` (a query running over 2 minutes) falls back to one Bulk API 2.0 job, which has no
  such limit. Rows already yielded may come again from the job; callers key by Id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from extractors.engine.errors import ApiError
from extractors.engine.retry import call
from extractors.salesforce.bulk import convert_row
from extractors.salesforce.source import SalesforceSource


def is_locator_error(exc: ApiError) -> bool:
    return "INVALID_QUERY_LOCATOR" in str(exc)


def is_timeout(exc: ApiError) -> bool:
    return "QUERY_TIMEOUT" in str(exc)


def scan_by_id(sf: SalesforceSource, object_name: str, fields: list[str], types: dict[str, str], what: str,
               include_deleted: bool, batch_size: int, poll_seconds: float,
               bulk_page_size: int) -> Iterator[list[dict[str, Any]]]:
    """Pages of `fields` of every row of `object_name`, ordered by Id."""
    base = f"SELECT {', '.join(fields)} FROM {object_name}"
    headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}

    def first(after: str | None) -> dict[str, Any]:
        text = base + (f" WHERE Id > '{after}'" if after else "") + " ORDER BY Id ASC"
        return call(lambda: sf.client.query(text, include_deleted=include_deleted, headers=headers),
                    f"{what}{' (resumed after ' + after + ')' if after else ''}", sf.counters)

    try:
        with sf.cursors.hold(what):
            result = first(None)
            last: str | None = None
            resumed_after: str | None = None
            while True:
                records = [r for r in result.get("records", []) if isinstance(r, dict)]
                if records:
                    last = records[-1].get("Id") or last
                    yield records
                if result.get("done", True) or not result.get("nextRecordsUrl"):
                    return
                url = result["nextRecordsUrl"]
                try:
                    result = call(lambda u=url: sf.client.query_more(u, identifier_is_url=True,
                                                                     include_deleted=include_deleted,
                                                                     headers=headers), what, sf.counters)
                except ApiError as exc:
                    if not is_locator_error(exc) or last is None or last == resumed_after:
                        raise
                    sf.counters.cursor_resumes += 1
                    resumed_after = last
                    result = first(last)
    except ApiError as exc:
        if not is_timeout(exc):
            raise
    # QUERY_TIMEOUT: the same scan as one Bulk API 2.0 job (no ordering; callers key by Id)
    yield from bulk_rows(sf, object_name, base, types, f"{what} (bulk2 after QUERY_TIMEOUT)", include_deleted,
                         poll_seconds, bulk_page_size)


def bulk_rows(sf: SalesforceSource, object_name: str, soql: str, types: dict[str, str], what: str,
              include_deleted: bool, poll_seconds: float, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """Every row of one Bulk API 2.0 query job, page by page, converted to the REST JSON shapes."""
    bulk = sf.bulk_jobs
    job = call(lambda: bulk.create(soql, include_deleted), f"{what} create job", sf.counters)
    call(lambda: bulk.wait(job["id"], poll_seconds), f"{what} wait", sf.counters)
    locator = ""
    version = sf.client.sf_version
    while True:
        text, locator = call(lambda loc=locator: bulk.results(job["id"], loc, page_size), f"{what} results",
                             sf.counters)
        yield [convert_row(r, types, object_name, version) for r in csv.DictReader(io.StringIO(text))]
        if not locator:
            return
