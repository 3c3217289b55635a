"""What the integration user may see, checked at the start of each object: never silent.

A user without "View All Data" gets no error for rows shared away from it, and a field hidden by
field-level security is simply absent from describe (real-orgs.md). So each run asks once per
connection for the user's effective permissions (`UserPermissionAccess`, 1 API call) and compares
each object's describe (read anyway, cached) with the fields the marts need
(`funnelhouse.core.raw.SALESFORCE_MART_FIELDS`). Findings go to `raw_meta.sync_runs.warning`, the
run summary and the raw-layer quality suite; the run itself goes on with what the user can see.
"""

from __future__ import annotations

from typing import Any

from extractors.engine.errors import ApiError
from extractors.engine.retry import Counters, call
from funnelhouse.core.raw import SALESFORCE_MART_FIELDS

PERMISSION_QUERY = "SELECT PermissionsViewAllData FROM UserPermissionAccess"


class AccessCheck:
    def __init__(self, client: Any, counters: Counters):
        self.client = client
        self.counters = counters
        self._view_all: str | None = None  # the finding about View All Data, once per connection

    def view_all_finding(self, object_name: str) -> str:
        """'' when the user has View All Data, else the warning text. A refused login (401) is not a
        finding: it fails the object like any other call would."""
        if self._view_all is None:
            try:
                result = call(lambda: self.client.query(PERMISSION_QUERY),
                              f"salesforce {object_name} permission check", self.counters)
                records = result.get("records") or [{}]
                allowed = bool(records[0].get("PermissionsViewAllData"))
                self._view_all = "" if allowed else (
                    "the integration user lacks View All Data (UserPermissionAccess.PermissionsViewAllData = "
                    "false): records shared away from it are missing from raw without any API error")
            except ApiError as exc:
                if exc.status == 401:
                    raise
                self._view_all = f"could not check the integration user's permissions ({exc})"
        return self._view_all

    def findings(self, object_name: str, described: set[str]) -> list[str]:
        out = []
        view_all = self.view_all_finding(object_name)
        if view_all:
            out.append(view_all)
        missing = [f for f in SALESFORCE_MART_FIELDS.get(object_name, ()) if f not in described]
        if missing:
            out.append(f"field-level security hides {', '.join(f'{object_name}.{f}' for f in missing)} from the "
                       "integration user (absent from describe; the marts read them as null)")
        return out
