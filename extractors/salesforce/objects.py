"""Salesforce objects: describe-driven field lists, SystemModstamp watermark with an overlap
window, queryAll (soft deletes arrive as IsDeleted), Bulk API 2.0 for large backlogs and on
QUERY_TIMEOUT, hard-delete id reconciliation (tombstones), the formula refresh, the permission check,
resumable cursors under a shared cap, and a daily-quota guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg

from extractors.engine.base import Page, RunContext
from extractors.engine.errors import ApiError
from extractors.engine.loader import latest_versions
from extractors.engine.records import RawRow, RowSpec, TimestampError, parse_timestamp
from extractors.engine.retry import call
from extractors.engine.state import SyncState
from extractors.engine.tombstones import tombstone_rows
from extractors.salesforce import formulas
from extractors.salesforce.bulk import bulk_pages
from extractors.salesforce.scan import is_locator_error, is_timeout, scan_by_id
from extractors.salesforce.source import QuotaGuard, SalesforceSource
from funnelhouse.core.raw import OPTIONAL_OBJECTS, table_name
from funnelhouse.core.settings import EXTRA_OBJECTS_VARS, extra_objects

SOURCE = "salesforce"
TIMESTAMP_PREFERENCE = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
# Compound and binary fields cannot be selected in Bulk queries and duplicate their components.
_SKIP_TYPES = {"address", "location", "base64"}


def _is_deleted(record: Any) -> bool:
    value = record.get("IsDeleted", False)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


class SalesforceObject:
    source = SOURCE

    def __init__(self, sf: SalesforceSource, object_name: str):
        self.sf = sf
        self.object_name = object_name
        self.table = table_name(object_name)
        self._fields: list[dict[str, Any]] | None = None
        self.ts_field = "SystemModstamp"
        self.spec = RowSpec(SOURCE, object_name, "Id", TIMESTAMP_PREFERENCE, deleted=_is_deleted)

    # -- field list ---------------------------------------------------------------------------
    def fields(self) -> list[dict[str, Any]]:
        if self._fields is None:
            described = self.sf.describe(self.object_name)["fields"]
            self._fields = [f for f in described if f.get("type") not in _SKIP_TYPES]
            names = {f["name"] for f in self._fields}
            self.ts_field = next((n for n in TIMESTAMP_PREFERENCE if n in names), "CreatedDate")
            # The version key must come from the field the watermark filters on.
            self.spec = RowSpec(SOURCE, self.object_name, "Id", (self.ts_field,), deleted=_is_deleted)
        return self._fields

    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields()]

    def soql(self, start: datetime | None, names: list[str] | None = None, order: bool = True) -> str:
        text = f"SELECT {', '.join(names or self.field_names())} FROM {self.object_name}"
        if start is not None:
            text += f" WHERE {self.ts_field} >= {soql_datetime(start)}"
        if order:
            text += f" ORDER BY {self.ts_field} ASC, Id ASC"
        return text

    def _field_chunks(self, max_length: int) -> list[list[str]]:
        """Field lists whose SELECT stays under the URI limit; each keeps Id and the version field."""
        names = self.field_names()
        if len(self.soql(None)) * 3 < max_length:  # URL encoding may triple the length
            return [names]
        chunks: list[list[str]] = []
        current = ["Id", self.ts_field]
        for name in names:
            if name in ("Id", self.ts_field):
                continue
            if len(", ".join([*current, name])) * 3 > max_length - 400:
                chunks.append(current)
                current = ["Id", self.ts_field]
            current.append(name)
        chunks.append(current)
        return chunks

    # -- extraction ---------------------------------------------------------------------------
    def start_of_window(self, state: SyncState, ctx: RunContext) -> datetime | None:
        return state.watermark - ctx.options.overlap if state.watermark else None

    def backlog(self, start: datetime | None) -> int:
        text = f"SELECT COUNT() FROM {self.object_name}"
        if start is not None:
            text += f" WHERE {self.ts_field} >= {soql_datetime(start)}"
        # query(), not query_all(): query_all() recomputes totalSize from the (empty) record list.
        result = call(lambda: self.sf.client.query(text, include_deleted=True),
                      f"salesforce {self.object_name} count", self.sf.counters)
        return int(result.get("totalSize", 0))

    def exists(self) -> bool:
        """False for an optional object the org does not have (describe answers 404). An extra object
        the org does not have fails in one line naming the setting, before anything is written."""
        try:
            self.fields()
        except ApiError as exc:
            if exc.status == 404 and self.object_name in OPTIONAL_OBJECTS[SOURCE]:
                return False
            if exc.status == 404 and self.object_name in extra_objects(SOURCE):
                raise ApiError(f"salesforce {self.object_name}: {EXTRA_OBJECTS_VARS[SOURCE]} names "
                               f"{self.object_name!r}, which this org does not have (describe answered 404); "
                               "check the spelling (API name, e.g. Invoice__c)", 404) from None
            raise
        return True

    def preflight(self) -> None:
        """Called by the engine before the raw table is created: a misspelt extra object creates nothing."""
        if self.object_name in extra_objects(SOURCE):
            self.exists()

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        # once per org login and SALESFORCE_PERMISSION_CHECK_HOURS, before this object's share is taken
        self.sf.access.view_all_finding(self.object_name, ctx)
        # the guard next: its share is of the requests left before this object's describe
        guard = QuotaGuard(self.sf, ctx.options.quota_share, self.object_name)
        if not self.exists():
            ctx.path.add("absent")  # e.g. CurrencyType on a single-currency org: nothing to read
            return
        ctx.warnings.extend(self.sf.access.findings(self.object_name, set(self.field_names()), ctx))
        self.sf.cursors.bind(ctx.dsn, ctx.options.sf_max_cursors)
        now = datetime.now(UTC)
        refresh = formulas.due(state, ctx, now) and any(f.get("calculated") for f in self.fields())
        # The time of the last formula refresh survives every committed page; a first run (or a full
        # refresh) reads every value anyway, so it starts the clock.
        key = formulas.CURSOR_KEY
        carried = state.cursor.get(key) or (now.isoformat() if state.watermark is None else None)
        last = state
        for page in self._changed_pages(state, ctx, guard):
            if carried:
                page.state.cursor = {**page.state.cursor, key: carried}
            last = page.state
            yield page
        if refresh:
            ctx.path.add("formulas")
            done = SyncState(SOURCE, self.object_name, last.watermark, last.last_id,
                             {**last.cursor, key: now.isoformat()}, last.reconciled_at)
            rows = [r for page in formulas.refresh_rows(self.sf, SOURCE, self.object_name, self.table,
                                                         self.ts_field, self.fields(), ctx) for r in page]
            yield Page([], done, rows)

    def _changed_pages(self, state: SyncState, ctx: RunContext, guard: QuotaGuard) -> Iterator[Page]:
        if state.cursor.get("bulk_job"):
            ctx.path.add("bulk2")
            yield from bulk_pages(self, state, ctx, guard, resume=True)
            return
        start = self.start_of_window(state, ctx)
        if self.backlog(start) > ctx.options.bulk_threshold:
            ctx.path.add("bulk2")
            yield from bulk_pages(self, state, ctx, guard, resume=False)
            return
        ctx.path.add("rest")
        try:
            yield from self._rest_pages(state, ctx, guard, start)
        except ApiError as exc:
            if not is_timeout(exc):
                raise
            # QUERY_TIMEOUT: the org cannot answer this window over REST in time; Bulk 2.0 can (the
            # rows REST already delivered are read again, a no-op)
            ctx.path.add("bulk2")
            yield from bulk_pages(self, state, ctx, guard, resume=False)

    def _rest_pages(self, state: SyncState, ctx: RunContext, guard: QuotaGuard,
                    start: datetime | None) -> Iterator[Page]:
        chunks = self._field_chunks(ctx.options.max_uri_length)
        headers = {"Sforce-Query-Options": f"batchSize={ctx.options.sf_batch_size}"}
        what = f"salesforce {self.object_name} query"
        with self.sf.cursors.hold(what):
            yield from self._rest_cursor(state, guard, start, chunks, headers, what)

    def _rest_cursor(self, state: SyncState, guard: QuotaGuard, start: datetime | None, chunks: list[list[str]],
                     headers: dict[str, str], what: str) -> Iterator[Page]:
        client = self.sf.client
        guard.check()
        result = call(lambda: client.query(self.soql(start, chunks[0]), include_deleted=True, headers=headers),
                      f"{what} page 1", self.sf.counters)
        watermark = state.watermark
        restarted_at: datetime | None = None
        page_no = 1
        while True:
            records = list(result.get("records", []))
            if len(chunks) > 1:
                records = self._complete(records, chunks[1:])
            watermark = _max_ts(records, self.ts_field, watermark)
            yield Page(records, SyncState(SOURCE, self.object_name, watermark, None, {}, state.reconciled_at))
            next_url = result.get("nextRecordsUrl")
            if result.get("done", True) or not next_url:
                return
            page_no += 1
            guard.check()
            try:
                result = call(lambda url=next_url: client.query_more(url, identifier_is_url=True,
                                                                     include_deleted=True, headers=headers),
                              f"{what} page {page_no}", self.sf.counters)
            except ApiError as exc:
                if not is_locator_error(exc) or watermark is None or watermark == restarted_at:
                    raise
                # The server dropped the cursor (locators expire; a user's 11th cursor releases its
                # oldest): query again from the last version read; rows at that instant are read
                # twice, which the raw key makes harmless.
                self.sf.counters.cursor_resumes += 1
                restarted_at = watermark
                soql = self.soql(watermark, chunks[0])
                result = call(lambda q=soql: client.query(q, include_deleted=True, headers=headers),
                              f"{what} page {page_no} (new cursor)", self.sf.counters)

    def _complete(self, records: list[dict[str, Any]], chunks: list[list[str]]) -> list[dict[str, Any]]:
        """Add the fields of the other chunks, 200 ids at a time; a record that changed between the
        queries is left out (its new version is newer than this run's watermark, so the next run reads it)."""
        merged = {r["Id"]: dict(r) for r in records if isinstance(r, dict) and r.get("Id")}
        ids = list(merged)
        for names in chunks:
            for i in range(0, len(ids), 200):
                id_list = ", ".join(f"'{x}'" for x in ids[i:i + 200])
                text = f"SELECT {', '.join(names)} FROM {self.object_name} WHERE Id IN ({id_list})"
                part = call(lambda t=text: self.sf.client.query_all(t, include_deleted=True),
                            f"salesforce {self.object_name} wide-field query", self.sf.counters)
                for row in part.get("records", []):
                    base = merged.get(row.get("Id"))
                    if base is None:
                        continue
                    if row.get(self.ts_field) != base.get(self.ts_field):
                        merged.pop(row["Id"])
                        continue
                    base.update({k: v for k, v in row.items() if k != "attributes"})
        kept = [r for r in records if isinstance(r, dict) and r.get("Id") in merged]
        return [merged[r["Id"]] for r in kept] + [r for r in records if not isinstance(r, dict) or not r.get("Id")]

    # -- hard deletes -------------------------------------------------------------------------
    def source_ids(self, ctx: RunContext) -> set[str]:
        """Every id queryAll still returns: ordered by Id, resumed after the last Id on a lost cursor,
        one Bulk 2.0 job on QUERY_TIMEOUT (scan.py)."""
        ids: set[str] = set()
        opts = ctx.options
        for page in scan_by_id(self.sf, self.object_name, ["Id"], {"Id": "id"},
                               f"salesforce {self.object_name} id reconciliation", True, opts.sf_batch_size,
                               opts.bulk_poll_seconds, opts.bulk_page_size):
            ids.update(r["Id"] for r in page if r.get("Id"))
        return ids

    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        known = latest_versions(conn, SOURCE, self.table)
        live = [i for i, (_, deleted) in known.items() if not deleted]
        if not live:
            return []
        present = self.source_ids(ctx)
        missing = [i for i in live if i not in present]
        return tombstone_rows(conn, SOURCE, self.table, missing, known, now)


def soql_datetime(ts: datetime) -> str:
    """SOQL dateTime literal, floored to the second (SOQL literals carry no fractions; flooring only
    widens a `>=` window)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _max_ts(records: list[Any], field: str, current: datetime | None) -> datetime | None:
    for record in records:
        if not isinstance(record, dict):
            continue
        try:
            ts = parse_timestamp(record.get(field))
        except TimestampError:
            continue
        if current is None or ts > current:
            current = ts
    return current
