"""Clients and settings wired to running sandbox emulators (sandbox.server.SandboxServers, which owns
the sandbox -> settings mapping): Settings for a state folder and the two CRM clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from funnelhouse.core.settings import Settings


def settings_for(servers: Any, state_dir: Path) -> Settings:
    """Settings that point both sources at the emulators (TLS trusted through the sandbox's CA)."""
    return servers.settings(Settings(state_dir=state_dir))


def salesforce_client(servers: Any, token: str | None = None) -> Salesforce:
    s = requests.Session()
    s.verify = str(servers.ca_file)
    s.trust_env = False
    return Salesforce(instance_url=servers.salesforce_url, session_id=token or servers.token, session=s)


def hubspot_client(servers: Any) -> HubSpot:
    return HubSpot(access_token=servers.token, host=servers.hubspot_url)
