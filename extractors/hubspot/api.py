"""Calls to the HubSpot API through the official client, returning the JSON exactly as sent.

The generated client builds the requests (auth, repeated `properties=` parameters, JSON bodies)
and raises its per-package exceptions; responses are read raw (`_preload_content=False`) so the
raw layer stores what HubSpot sent rather than the client's re-serialised models, and so the
rate-limit headers of every response reach the limiter. Errors are classified by HTTP status,
because each generated package has its own `ApiException` class.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hubspot import HubSpot

from extractors.engine.http import DEFAULT_TIMEOUT
from extractors.engine.ratelimit import RateLimiter
from extractors.engine.retry import Counters, call
from extractors.hubspot.client import hubspot_client
from funnelhouse.core.settings import Settings


class HubSpotApi:
    def __init__(self, settings: Settings, counters: Counters, limiter: RateLimiter | None = None):
        self.counters = counters
        self.client: HubSpot = hubspot_client(settings, counters)
        self.limiter = limiter or RateLimiter()
        self._properties: dict[str, list[dict[str, Any]]] = {}

    def _raw(self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def once() -> Any:
            self.limiter.acquire()
            try:
                response = method(*args, _preload_content=False, _request_timeout=DEFAULT_TIMEOUT, **kwargs)
            except Exception as exc:
                self.limiter.observe(getattr(exc, "headers", None))
                raise
            self.limiter.observe(response.headers)
            return json.loads(response.data)

        return call(once, what, self.counters)

    # -- CRM objects -------------------------------------------------------------------------
    def list_page(self, object_type: str, after: str | None, limit: int, properties: list[str],
                  history: list[str] | None = None, archived: bool = False) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"limit": limit, "archived": archived}
        if after:
            kwargs["after"] = after
        if properties:
            kwargs["properties"] = properties
        if history:
            kwargs["properties_with_history"] = history
        return self._raw(f"hubspot {object_type} list", self.client.crm.objects.basic_api.get_page,
                         object_type, **kwargs)

    def batch_read(self, object_type: str, ids: list[str], properties: list[str], history: list[str]) -> dict[str, Any]:
        body = {"inputs": [{"id": i} for i in ids], "properties": properties, "propertiesWithHistory": history}
        return self._raw(f"hubspot {object_type} batch read", self.client.crm.objects.batch_api.read,
                         object_type, body)

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        # A plain dict serialises as-is; the generated request model would drop unknown keys.
        return self._raw(f"hubspot {object_type} search", self.client.crm.objects.search_api.do_search,
                         object_type, body)

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        if object_type not in self._properties:
            data = self._raw(f"hubspot {object_type} properties", self.client.crm.properties.core_api.get_all,
                             object_type)
            self._properties[object_type] = list(data.get("results", []))
        return self._properties[object_type]

    # -- other endpoints ---------------------------------------------------------------------
    def owners_page(self, after: str | None, archived: bool) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"limit": 100, "archived": archived}
        if after:
            kwargs["after"] = after
        return self._raw("hubspot owners list", self.client.crm.owners.owners_api.get_page, **kwargs)

    def pipelines(self, object_type: str) -> dict[str, Any]:
        return self._raw(f"hubspot {object_type} pipelines", self.client.crm.pipelines.pipelines_api.get_all,
                         object_type)

    def associations(self, from_type: str, to_type: str, inputs: list[dict[str, str]]) -> dict[str, Any]:
        return self._raw(f"hubspot {from_type}->{to_type} associations",
                         self.client.crm.associations.v4.batch_api.get_page, from_type, to_type, {"inputs": inputs})

    def marketing_events(self, after: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"limit": 100}
        if after:
            kwargs["after"] = after
        return self._raw("hubspot marketing events list", self.client.marketing.events.basic_api.get_all, **kwargs)

    def participations(self, event_id: str, after: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"limit": 100}
        if after:
            kwargs["after"] = after
        api = self.client.marketing.events.retrieve_participant_state_api
        return self._raw(f"hubspot marketing event {event_id} participations",
                         api.get_participations_breakdown_by_marketing_event_id, event_id, **kwargs)
