"""One Salesforce connection per run, shared by its objects: the client, cached describes, the
daily API quota and the guard that stops an object before it uses too much of it."""

from __future__ import annotations

from typing import Any

from simple_salesforce import Salesforce

from extractors.engine.cursor_slots import CursorSlots
from extractors.engine.errors import QuotaExhausted
from extractors.engine.http import CrmSession
from extractors.engine.retry import Counters, call
from extractors.salesforce.access import AccessCheck
from extractors.salesforce.bulk_jobs import BulkQueryJobs
from extractors.salesforce.client import salesforce_client
from funnelhouse.core.settings import Settings


class SalesforceSource:
    """One authenticated client per run, shared by the objects; describe results cached per run."""

    def __init__(self, settings: Settings, counters: Counters):
        self.counters = counters
        self.client: Salesforce
        self.session: CrmSession
        self.client, self.session = salesforce_client(settings, counters)
        self.bulk_jobs = BulkQueryJobs(self.client)
        self._describe: dict[str, dict[str, Any]] = {}
        # one integration user per org login: the cap on its open cursors and its permission check are
        # shared under this name
        user = settings.salesforce.username or settings.salesforce.client_id or "token"
        login = f"{settings.salesforce.instance_url}:{user}"
        self.access = AccessCheck(self.client, counters, login)
        self.cursors = CursorSlots(f"salesforce-cursors:{login}")

    def describe(self, object_name: str) -> dict[str, Any]:
        if object_name not in self._describe:
            sobject = getattr(self.client, object_name)
            self._describe[object_name] = call(sobject.describe, f"salesforce {object_name} describe", self.counters)
        return self._describe[object_name]

    def remaining_requests(self, object_name: str) -> tuple[int, int] | None:
        """(remaining, max) daily API requests, from /limits (falls back to Sforce-Limit-Info)."""
        try:
            limits = call(self.client.limits, f"salesforce {object_name} limits", self.counters)
            daily = limits.get("DailyApiRequests") or {}
            return int(daily["Remaining"]), int(daily["Max"])
        except (KeyError, TypeError, ValueError):
            usage = self.session.usage
            return (usage.total - usage.used, usage.total) if usage.total else None


class QuotaGuard:
    """Stops an object once it has used `share` of the daily requests that were left when it started."""

    def __init__(self, source: SalesforceSource, share: float, object_name: str):
        self.source = source
        self.object_name = object_name
        remaining = source.remaining_requests(object_name)
        self.budget = None if remaining is None else max(1, int(remaining[0] * share))
        self.start_calls = source.counters.api_calls
        self.remaining_at_start = remaining[0] if remaining else None

    def check(self) -> None:
        if self.budget is None:
            return
        used = self.source.counters.api_calls - self.start_calls
        usage = self.source.session.usage
        left = usage.total - usage.used if usage.total else None
        if used >= self.budget or (left is not None and left <= 0):
            raise QuotaExhausted(
                f"salesforce {self.object_name}: stopped after {used} API calls, the configured share of the "
                f"{self.remaining_at_start} daily requests that were left (EXTRACT_SF_QUOTA_SHARE); "
                "the next run resumes from the committed watermark"
            )
