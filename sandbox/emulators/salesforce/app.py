"""The Salesforce REST API emulator: OAuth token, sobjects/describe, query/queryAll + locators, deleted/updated,
limits. Bulk API 2.0 query jobs live in bulk.py."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from sandbox.emulators.dataset import Dataset, SfObject
from sandbox.emulators.faults import FaultConfig, FaultState
from sandbox.emulators.http import App, Request, Response, json_response
from sandbox.emulators.salesforce import meta
from sandbox.emulators.salesforce.access import integration_view
from sandbox.emulators.salesforce.bulk import BulkJobs
from sandbox.emulators.salesforce.errors import SERVER_ERRORS, sf_error
from sandbox.emulators.salesforce.soql import Query, SoqlError, parse, sort_records
from sandbox.world.clock import parse_instant, sf_datetime

_DATA = re.compile(r"^/services/data/v(\d+\.\d+)(/.*)?$")


@dataclass
class Locator:
    records: list[dict[str, Any]]
    fields: list[str]
    obj: str
    batch: int
    created: float


class SalesforceApp(App):
    def __init__(self, data: Dataset, token: str, faults: FaultConfig, base_url: str = "") -> None:
        self.token = token
        self.faults = FaultState(faults)
        self.base_url = base_url
        self.locators: OrderedDict[str, Locator] = OrderedDict()
        self.lock = threading.Lock()
        self.counter = 0
        self.peak_open = 0      # most query cursors open at once (tests of the shared cursor cap)
        self.released = 0       # cursors released because the per-user limit was reached
        self.bulk = BulkJobs(self)
        self.set_data(data)

    def set_data(self, data: Dataset) -> None:
        """Serve another snapshot (e.g. after `advance`); open locators keep their old rows. What is
        served is what the org's integration user may see (`access.py`)."""
        self.data = replace(data, salesforce=integration_view(data))
        org = data.sf_org
        self.max_cursors: int | None = self.faults.config.salesforce_max_cursors or org.get("max_cursors")
        self.timeout_rows: dict[str, int] = org.get("query_timeout_rows") or {}
        self.lower = {name.lower(): name for name in self.data.salesforce}

    # ---- plumbing
    def limit_info(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.faults.calls}/{self.faults.config.salesforce_daily_limit}"}

    def before(self, request: Request) -> tuple[Response | None, bool]:
        if not request.path.startswith("/services/data/v"):
            return None, False
        if not self._authorized(request):
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid"), False
        status, drop = self.faults.draw()
        self.faults.sleep()
        if self.faults.calls > self.faults.config.salesforce_daily_limit:
            return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", self.limit_info()), False
        if status is not None:
            code, msg = SERVER_ERRORS.get(status, ("UNKNOWN_EXCEPTION", "An unexpected error occurred."))
            return sf_error(status, code, msg, self.limit_info()), False
        return None, drop

    def _authorized(self, request: Request) -> bool:
        auth = request.headers.get("Authorization") or ""
        scheme, _, value = auth.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and value.strip() == self.token

    def schema(self, name: str) -> tuple[str, dict[str, str]] | None:
        canon = self.lower.get(name.lower())
        if canon is None:
            return None
        return canon, {n: t.split(":")[0] for n, t in self.data.salesforce[canon].fields}

    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/") == "/services/oauth2/token" and request.method == "POST":
            return self.oauth_token(request)
        if request.path.rstrip("/") == "/services/data":
            return json_response(200, meta.versions())
        m = _DATA.match(request.path)
        if not m:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        resp = self.route(request, m.group(1), (m.group(2) or "/").strip("/").split("/"))
        resp.headers.update(self.limit_info())
        return resp

    def route(self, request: Request, version: str, parts: list[str]) -> Response:
        head = parts[0]
        if head == "":
            return json_response(200, {k: f"/services/data/v{version}/{k}" for k in
                                       ("sobjects", "query", "queryAll", "limits", "jobs")})
        if head == "limits":
            return json_response(200, meta.limits(self.faults.calls, self.faults.config.salesforce_daily_limit,
                                                  self.bulk.count))
        if head in ("query", "queryAll"):
            if len(parts) > 1 and parts[1]:
                return self.query_more(parts[1], version)
            return self.query(request, version, include_deleted=head == "queryAll")
        if head == "sobjects":
            return self.sobjects(request, version, parts[1:])
        if head == "jobs" and len(parts) > 1 and parts[1] == "query":
            return self.bulk.route(request, version, parts[2:])
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")

    # ---- OAuth
    def oauth_token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode() or "").items()}
        form.update({k: v[0] for k, v in request.query.items()})
        grant = form.get("grant_type", "")
        if grant not in ("password", "client_credentials", "refresh_token", "authorization_code",
                         "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            return json_response(400, {"error": "unsupported_grant_type",
                                       "error_description": "grant type not supported"})
        return json_response(200, {
            "access_token": self.token, "instance_url": self.base_url,
            "id": f"{self.base_url}/id/00DHp0000000001EAA/005Hp0000000001IAA", "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)), "signature": "c2FuZGJveA=="})

    # ---- sobjects
    def sobjects(self, request: Request, version: str, parts: list[str]) -> Response:
        parts = [p for p in parts if p]
        if not parts:
            return json_response(200, meta.describe_global(self.data.salesforce, version))
        canon = self.lower.get(parts[0].lower())
        if canon is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        obj = self.data.salesforce[canon]
        if len(parts) == 1:
            return json_response(200, meta.metadata(obj, version))
        what = parts[1]
        if what == "describe":
            return json_response(200, meta.describe(obj, version))
        if what in ("deleted", "updated"):
            return self.changed(request, obj, what)
        rec = obj.by_id.get(what)
        if rec is None or rec.get("IsDeleted"):
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        return json_response(200, self._row(rec, [n for n, _ in obj.fields], canon, version))

    def changed(self, request: Request, obj: SfObject, what: str) -> Response:
        try:
            start = parse_instant((request.param("start") or "").rstrip(":"))
            end = parse_instant((request.param("end") or "").rstrip(":"))
        except ValueError:
            return sf_error(400, "INVALID_REPLICATION_DATE", "start and end must be ISO-8601 dateTimes")
        if end < start:
            return sf_error(400, "INVALID_REPLICATION_DATE", "start date must be before end date")
        lo, hi = sf_datetime(start), sf_datetime(end)
        latest = sf_datetime(min(end, self.data.clock_epoch) // 60 * 60)
        stamp = "SystemModstamp" if any(n == "SystemModstamp" for n, _ in obj.fields) else "CreatedDate"
        if what == "updated":
            ids = [r["Id"] for r in obj.records if not r.get("IsDeleted") and lo <= (r.get(stamp) or "") <= hi]
            return json_response(200, {"ids": ids, "latestDateCovered": latest})
        gone = [{"id": r["Id"], "deletedDate": r[stamp]} for r in obj.records
                if r.get("IsDeleted") and lo <= (r.get(stamp) or "") <= hi]
        earliest = min((r[stamp] for r in obj.records if r.get("IsDeleted")), default=lo)
        return json_response(200, {"deletedRecords": gone, "earliestDateAvailable": earliest,
                                   "latestDateCovered": latest})

    # ---- query
    def run(self, soql: str, include_deleted: bool) -> tuple[Query, list[dict[str, Any]]]:
        q = parse(soql, self.schema)
        rows = self.data.salesforce[q.obj].records
        if not include_deleted:
            rows = [r for r in rows if not r.get("IsDeleted")]
        if q.where is not None:
            rows = [r for r in rows if q.where(r)]
        if q.order:
            rows = sort_records(rows, q.order)
        rows = rows[q.offset:]
        if q.limit is not None:
            rows = rows[:q.limit]
        return q, rows

    def query(self, request: Request, version: str, include_deleted: bool) -> Response:
        soql = request.param("q")
        if soql is None:
            return sf_error(400, "MALFORMED_QUERY", "missing q parameter")
        try:
            q, rows = self.run(soql, include_deleted)
        except SoqlError as e:
            return sf_error(400, e.code, e.message)
        if q.count_only:
            return json_response(200, {"totalSize": len(rows), "done": True, "records": []})
        slow = self.timeout_rows.get(q.obj)
        if slow is not None and len(rows) > slow:
            return sf_error(400, "QUERY_TIMEOUT", "Your query request was running for too long.")
        batch = 2000
        opts = request.headers.get("Sforce-Query-Options") or ""
        m = re.search(r"batchSize\s*=\s*(\d+)", opts)
        if m:
            batch = min(2000, max(200, int(m.group(1))))
        loc = Locator(rows, q.fields, q.obj, batch, time.monotonic())
        with self.lock:
            self.counter += 1
            loc_id = "0r8Hp" + str(self.counter).rjust(10, "0")
            if self.max_cursors is None or len(rows) > batch:  # limited: a one-page answer opens no cursor
                self.locators[loc_id] = loc
            while len(self.locators) > (self.max_cursors or 500):
                self.locators.popitem(last=False)  # Salesforce releases the oldest cursor, silently
                self.released += 1
            self.peak_open = max(self.peak_open, len(self.locators))
        return json_response(200, self._page(loc_id, loc, 0, version))

    def query_more(self, locator: str, version: str) -> Response:
        loc_id, _, off = locator.rpartition("-")
        loc = self.locators.get(loc_id)
        ttl = self.faults.config.locator_ttl_s
        if loc is None or not off.isdigit() or (ttl is not None and time.monotonic() - loc.created > ttl):
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        page = self._page(loc_id, loc, int(off), version)
        if page["done"] and self.max_cursors is not None:
            with self.lock:
                self.locators.pop(loc_id, None)  # read to the end: the cursor is closed
        return json_response(200, page)

    def _row(self, rec: dict[str, Any], fields: list[str], obj: str, version: str) -> dict[str, Any]:
        url = f"/services/data/v{version}/sobjects/{obj}/{rec['Id']}"
        row: dict[str, Any] = {"attributes": {"type": obj, "url": url}}
        for f in fields:
            row[f] = rec.get(f)
        return row

    def _page(self, loc_id: str, loc: Locator, offset: int, version: str) -> dict[str, Any]:
        end = offset + loc.batch
        url = f"/services/data/v{version}/sobjects/{loc.obj}/"
        fields = loc.fields
        records = []
        for rec in loc.records[offset:end]:
            row: dict[str, Any] = {"attributes": {"type": loc.obj, "url": url + rec["Id"]}}
            for f in fields:
                row[f] = rec.get(f)
            records.append(row)
        page: dict[str, Any] = {"totalSize": len(loc.records), "done": end >= len(loc.records)}
        if not page["done"]:
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{loc_id}-{end}"
        page["records"] = records
        return page
