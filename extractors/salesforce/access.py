"""What the integration user may see, checked at the start of each object: never silent.

A user without "View All Data" gets no error for rows shared away from it, and a field hidden by
field-level security is simply absent from describe (real-orgs.md). So the user's effective
permissions (`UserPermissionAccess`, 1 API call) are asked once per org login and
`SALESFORCE_PERMISSION_CHECK_HOURS`: the finding is kept in `raw_meta.access_checks`, so the object
tasks of one DAG run (each its own process) share one check; each object's describe (read anyway,
cached) is compared with the fields the marts need
(`funnelhouse.core.raw.SALESFORCE_MART_FIELDS`). Findings go to `raw_meta.sync_runs.warning`, the
run summary and the raw-layer quality suite; the run itself goes on with what the user can see.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

from extractors.engine.base import RunContext
from extractors.engine.errors import ApiError
from extractors.engine.retry import Counters, call
from funnelhouse.core.raw import SALESFORCE_MART_FIELDS, ensure_meta

PERMISSION_QUERY = "SELECT PermissionsViewAllData FROM UserPermissionAccess"


class AccessCheck:
    def __init__(self, client: Any, counters: Counters, login: str):
        self.client = client
        self.counters = counters
        # the org login the finding belongs to, hashed: the user name never reaches the warehouse
        self.principal = hashlib.sha256(login.encode()).hexdigest()
        self._view_all: str | None = None  # the finding about View All Data, once per connection

    def view_all_finding(self, object_name: str, ctx: RunContext | None = None) -> str:
        """'' when the user has View All Data, else the warning text. A refused login (401) is not a
        finding: it fails the object like any other call would. With the run's warehouse, a finding
        younger than `permission_check_hours` is reused and a new one stored (a failed check is not)."""
        hours = ctx.options.permission_check_hours if ctx is not None and ctx.dsn else 0
        if self._view_all is None and hours > 0 and ctx is not None and ctx.dsn:
            self._view_all = self._stored(ctx.dsn, hours)
        if self._view_all is None:
            try:
                result = call(lambda: self.client.query(PERMISSION_QUERY),
                              f"salesforce {object_name} permission check", self.counters)
                records = result.get("records") or [{}]
                allowed = bool(records[0].get("PermissionsViewAllData"))
                self._view_all = "" if allowed else (
                    "the integration user lacks View All Data (UserPermissionAccess.PermissionsViewAllData = "
                    "false): records shared away from it are missing from raw without any API error")
                if hours > 0 and ctx is not None and ctx.dsn:
                    self._store(ctx.dsn, self._view_all)
            except ApiError as exc:
                if exc.status == 401:
                    raise
                self._view_all = f"could not check the integration user's permissions ({exc})"
        return self._view_all

    def _stored(self, dsn: str, hours: float) -> str | None:
        with psycopg.connect(dsn) as conn:
            ensure_meta(conn)
            row = conn.execute("select finding from raw_meta.access_checks where principal = %s "
                               "and checked_at > now() - make_interval(secs => %s)",
                               (self.principal, hours * 3600)).fetchone()
        return None if row is None else row[0]

    def _store(self, dsn: str, finding: str) -> None:
        with psycopg.connect(dsn) as conn:
            conn.execute("insert into raw_meta.access_checks (principal, finding, checked_at) values (%s, %s, now()) "
                         "on conflict (principal) do update set finding = excluded.finding, "
                         "checked_at = excluded.checked_at", (self.principal, finding))

    def findings(self, object_name: str, described: set[str], ctx: RunContext | None = None) -> list[str]:
        out = []
        view_all = self.view_all_finding(object_name, ctx)
        if view_all:
            out.append(view_all)
        missing = [f for f in SALESFORCE_MART_FIELDS.get(object_name, ()) if f not in described]
        if missing:
            out.append(f"field-level security hides {', '.join(f'{object_name}.{f}' for f in missing)} from the "
                       "integration user (absent from describe; the marts read them as null)")
        return out
