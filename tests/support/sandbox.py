"""Clients and settings wired to running sandbox emulators (sandbox.server.SandboxServers): the one
place the tests map a running sandbox to the project's Settings and to the two CRM clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from funnelhouse.config import HubSpotSettings, SalesforceSettings, Secret, Settings


def settings_for(servers: Any, state_dir: Path) -> Settings:
    """Settings that point both sources at the emulators (TLS trusted through the sandbox's CA)."""
    return Settings(
        state_dir=state_dir,
        salesforce=SalesforceSettings(instance_url=servers.salesforce_url, access_token=Secret(servers.token),
                                      ca_file=str(servers.ca_file)),
        hubspot=HubSpotSettings(access_token=Secret(servers.token), base_url=servers.hubspot_url),
    )


def salesforce_client(servers: Any, token: str | None = None) -> Salesforce:
    s = requests.Session()
    s.verify = str(servers.ca_file)
    s.trust_env = False
    return Salesforce(instance_url=servers.salesforce_url, session_id=token or servers.token, session=s)


def hubspot_client(servers: Any) -> HubSpot:
    return HubSpot(access_token=servers.token, host=servers.hubspot_url)
