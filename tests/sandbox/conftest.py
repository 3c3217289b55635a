"""A small generated world shared by the sandbox tests, and clients wired to the emulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from sandbox.server import SandboxServers, start_sandbox
from sandbox.world import generate

SEED, PEOPLE = 11, 1200


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(SEED, PEOPLE, tmp_path_factory.mktemp("sandbox") / "world")


@pytest.fixture(scope="session")
def srv(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServers]:
    with start_sandbox(world, tls_dir=tmp_path_factory.mktemp("tls")) as servers:
        yield servers


def salesforce_client(servers: SandboxServers, token: str | None = None) -> Salesforce:
    s = requests.Session()
    s.verify = str(servers.ca_file)
    s.trust_env = False
    return Salesforce(instance_url=servers.salesforce_url, session_id=token or servers.token, session=s)


@pytest.fixture(scope="session")
def sf(srv: SandboxServers) -> Salesforce:
    return salesforce_client(srv)


@pytest.fixture(scope="session")
def hs(srv: SandboxServers) -> HubSpot:
    return HubSpot(access_token=srv.token, host=srv.hubspot_url)
