"""A small generated world shared by the sandbox tests, and clients wired to the emulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from sandbox.server import SandboxServers, start_sandbox
from tests.support.sandbox import hubspot_client, salesforce_client
from tests.support.worlds import WorldCache

SEED, PEOPLE = 11, 1200


@pytest.fixture(scope="session")
def world(worlds: WorldCache) -> Path:
    return worlds.dataset(SEED, PEOPLE)


@pytest.fixture(scope="session")
def srv(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServers]:
    with start_sandbox(world, tls_dir=tmp_path_factory.mktemp("tls")) as servers:
        yield servers


@pytest.fixture(scope="session")
def sf(srv: SandboxServers) -> Salesforce:
    return salesforce_client(srv)


@pytest.fixture(scope="session")
def hs(srv: SandboxServers) -> HubSpot:
    return hubspot_client(srv)
