"""The hubspot-api-client from Settings (a private-app access token), with the engine's counted
transport retries."""

from __future__ import annotations

from hubspot import HubSpot

from extractors.engine.errors import ExtractError, register_secrets
from extractors.engine.retry import Counters, transport_retry
from funnelhouse.core.settings import Settings


def hubspot_client(settings: Settings, counters: Counters) -> HubSpot:
    hs = settings.hubspot
    if not hs.access_token:
        raise ExtractError("hubspot: no credentials configured (HUBSPOT_ACCESS_TOKEN)")
    register_secrets([str(hs.access_token)])
    return HubSpot(access_token=str(hs.access_token), host=hs.base_url.rstrip("/"), retry=transport_retry(counters))
