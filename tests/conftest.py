"""Fixtures shared by the whole test run: one real PostgreSQL for the session (embedded pgserver,
or the server in TEST_WAREHOUSE_DSN), and a fresh database per test module that asks for one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import psycopg
import pytest

from funnelhouse.core.warehouse import EmbeddedWarehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of the test server's maintenance database (`postgres`)."""
    external = os.environ.get("TEST_WAREHOUSE_DSN")
    if external:
        yield external
        return
    warehouse = EmbeddedWarehouse(tmp_path_factory.mktemp("warehouse"))
    dsn = warehouse.start()
    yield dsn.rsplit("/", 1)[0] + "/postgres"
    warehouse.stop()


@pytest.fixture(scope="session")
def make_database(server_dsn: str) -> Callable[[str], str]:
    """Create an empty database named after the caller; return its DSN."""

    def make(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}".lower()
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        parsed = urlparse(server_dsn)
        return parsed._replace(path=f"/{name}").geturl()

    return make


@pytest.fixture(scope="module")
def warehouse_dsn(make_database: Callable[[str], str], request: pytest.FixtureRequest) -> str:
    """A fresh, empty database for one test module."""
    return make_database(request.module.__name__.rsplit(".", 1)[-1][:40])
