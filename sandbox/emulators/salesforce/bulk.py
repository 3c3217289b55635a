"""Bulk API 2.0 query jobs: create, status, CSV results with Sforce-Locator / Sforce-NumberOfRecords, abort."""

from __future__ import annotations

import base64
import csv
import io
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sandbox.emulators.faults import FaultState
from sandbox.emulators.http import Request, Response, json_response
from sandbox.emulators.salesforce.errors import sf_error
from sandbox.emulators.salesforce.soql import Query, SoqlError
from sandbox.world.clock import sf_datetime


class QueryHost(Protocol):
    """What the Bulk API needs of the Salesforce emulator that hosts it (`SalesforceApp`)."""

    faults: FaultState

    def run(self, soql: str, include_deleted: bool) -> tuple[Query, list[dict[str, Any]]]: ...


@dataclass
class Job:
    id: str
    operation: str
    obj: str
    fields: list[str]
    rows: list[dict[str, Any]]
    created: str
    created_mono: float
    state: str = "UploadComplete"


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and len(v) == 28 and v.endswith("+0000") and v[10] == "T":
        return v[:-5] + "Z"
    return str(v)


class BulkJobs:
    def __init__(self, app: QueryHost) -> None:
        self.app = app
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.count = 0

    def _json(self, job: Job, version: str, complete: bool) -> dict[str, Any]:
        out = {"id": job.id, "operation": job.operation, "object": job.obj, "createdById": "005Hp0000000001IAA",
               "createdDate": job.created, "systemModstamp": job.created, "state": job.state,
               "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(version), "lineEnding": "LF",
               "columnDelimiter": "COMMA"}
        if complete:
            out.update({"jobType": "V2Query", "numberRecordsProcessed": len(job.rows), "retries": 0,
                        "totalProcessingTime": 1})
        return out

    def route(self, request: Request, version: str, parts: list[str]) -> Response:
        parts = [p for p in parts if p]
        if not parts:
            if request.method == "POST":
                return self.create(request, version)
            return json_response(200, {"done": True, "records": [self._json(j, version, True)
                                                                 for j in self.jobs.values()], "nextRecordsUrl": None})
        job = self.jobs.get(parts[0])
        if job is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if len(parts) == 1:
            if request.method == "DELETE":
                self.jobs.pop(job.id, None)
                return Response(204)
            if request.method == "PATCH":
                job.state = "Aborted"
                return json_response(200, self._json(job, version, False))
            if job.state == "UploadComplete":
                job.state = "JobComplete"
            return json_response(200, self._json(job, version, True))
        if parts[1] == "results":
            return self.results(request, job)
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")

    def create(self, request: Request, version: str) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return sf_error(400, "JSON_PARSER_ERROR", "request body is not valid JSON")
        op = body.get("operation")
        if op not in ("query", "queryAll"):
            return sf_error(400, "INVALIDJOB", f"operation must be query or queryAll, got {op!r}")
        if body.get("columnDelimiter", "COMMA") != "COMMA" or body.get("lineEnding", "LF") != "LF":
            return sf_error(400, "INVALIDJOB", "the sandbox supports columnDelimiter COMMA and lineEnding LF only")
        try:
            q, rows = self.app.run(body.get("query") or "", include_deleted=op == "queryAll")
        except SoqlError as e:
            return sf_error(400, e.code, e.message)
        if q.count_only or q.offset:
            return sf_error(400, "INVALIDJOB", "Bulk API 2.0 queries do not support COUNT() or OFFSET")
        with self.lock:
            self.count += 1
            job_id = "750Hp" + str(self.count).rjust(10, "0")
        job = Job(job_id, op, q.obj, q.fields, rows, sf_datetime(int(time.time())), time.monotonic())
        self.jobs[job_id] = job
        while len(self.jobs) > 200:  # keep memory bounded: the oldest jobs are forgotten
            self.jobs.pop(next(iter(self.jobs)))
        return json_response(200, self._json(job, version, False))

    def results(self, request: Request, job: Job) -> Response:
        if job.state != "JobComplete":
            return sf_error(400, "INVALIDJOB", f"job {job.id} is not complete (state {job.state})")
        ttl = self.app.faults.config.locator_ttl_s
        if ttl is not None and time.monotonic() - job.created_mono > ttl:
            return sf_error(400, "INVALID_QUERY_LOCATOR", "results locator has expired")
        try:
            max_records = int(request.param("maxRecords") or 50000)
            loc = request.param("locator")
            offset = int(base64.b64decode(loc + "==").decode()) if loc and loc != "null" else 0
        except ValueError:
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid locator or maxRecords")
        chunk = job.rows[offset: offset + max(1, max_records)]
        buf = io.StringIO()
        w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(job.fields)
        for r in chunk:
            w.writerow([_csv_value(r.get(f)) for f in job.fields])
        end = offset + len(chunk)
        nxt = base64.b64encode(str(end).encode()).decode().rstrip("=") if end < len(job.rows) else "null"
        headers = {"Sforce-Locator": nxt, "Sforce-NumberOfRecords": str(len(chunk))}
        return Response(200, buf.getvalue().encode(), headers, content_type="text/csv")
