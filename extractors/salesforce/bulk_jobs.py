"""Bulk API 2.0 query jobs, one call per method: create, status, wait, one page of results.

simple-salesforce's public Bulk 2.0 interface runs a whole query in one call (create, wait, read
every page), so a crashed run could not resume a job part-way through its pages. These are the same
requests on the client's own session and headers; non-2xx answers raise simple-salesforce's
exceptions through its `call_salesforce`, so error handling is the same as for every other call.
"""

from __future__ import annotations

import json
import time
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceOperationError
from simple_salesforce.util import call_salesforce

_JSON = "application/json"
_CSV = "text/csv; charset=UTF-8"
# A query job that has not finished in a day is not going to (Salesforce's own limit is 24 h).
WAIT_TIMEOUT_SECONDS = 86_400


class BulkQueryJobs:
    def __init__(self, client: Salesforce):
        self.url = client.bulk2_url + "query"
        self.session = client.session
        self.token = client.session_id

    def _headers(self, accept: str = _JSON) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": _JSON, "Accept": accept}

    def create(self, soql: str, include_deleted: bool = True) -> dict[str, Any]:
        """A queryAll (deleted and archived rows too) or query job for `soql`."""
        payload = {"operation": "queryAll" if include_deleted else "query", "query": soql,
                   "columnDelimiter": "COMMA", "lineEnding": "LF"}
        response = call_salesforce(url=self.url, method="POST", session=self.session,
                                   headers=self._headers(_CSV), data=json.dumps(payload))
        return response.json()

    def status(self, job_id: str) -> dict[str, Any]:
        response = call_salesforce(url=f"{self.url}/{job_id}", method="GET", session=self.session,
                                   headers=self._headers())
        return response.json()

    def wait(self, job_id: str, poll_seconds: float) -> None:
        """Until the job completes; a failed or aborted job raises with Salesforce's message."""
        deadline = time.monotonic() + WAIT_TIMEOUT_SECONDS
        state = "InProgress"
        while time.monotonic() < deadline:
            time.sleep(poll_seconds)
            job = self.status(job_id)
            state = job.get("state", "")
            if state == "JobComplete":
                return
            if state in ("Aborted", "Failed"):
                raise SalesforceOperationError(f"Job failure. Response content: {job.get('errorMessage') or job}")
        raise SalesforceOperationError(f"Job timeout. Job status: {state}")

    def results(self, job_id: str, locator: str, max_records: int) -> tuple[str, str]:
        """(CSV text of one page, locator of the next page or '' after the last)."""
        params: dict[str, Any] = {"maxRecords": max_records}
        if locator and locator != "null":
            params["locator"] = locator
        response = call_salesforce(url=f"{self.url}/{job_id}/results", method="GET", session=self.session,
                                   headers=self._headers(_CSV), params=params)
        next_locator = response.headers.get("Sforce-Locator", "")
        # NUL bytes in field values break the CSV reader (simple-salesforce strips them too).
        return response.content.decode("utf-8").replace("\x00", ""), "" if next_locator == "null" else next_locator
