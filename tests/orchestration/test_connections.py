"""CRM and warehouse credentials as Airflow connections: a configuration made only of AIRFLOW_CONN_*
variables (no SALESFORCE_* / HUBSPOT_* / WAREHOUSE_DSN) extracts from the sandbox emulators into the
warehouse through the DAG's own task functions; variables set in the environment win over connections."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlparse

import psycopg
import pytest

from funnelhouse.orchestration import connections

SETTINGS_VARS = ("SALESFORCE_", "HUBSPOT_", "WAREHOUSE_DSN", "AIRFLOW_CONN_")


def conn_vars(servers, dsn: str) -> dict[str, str]:
    db = urlparse(dsn)
    return {
        "AIRFLOW_CONN_SALESFORCE_DEFAULT": json.dumps({
            "conn_type": "http", "host": servers.salesforce_url, "password": servers.token,
            "extra": {"ca_file": str(servers.ca_file)}}),
        "AIRFLOW_CONN_HUBSPOT_DEFAULT": json.dumps({
            "conn_type": "http", "host": servers.hubspot_url, "password": servers.token}),
        "AIRFLOW_CONN_FUNNELHOUSE_WAREHOUSE": json.dumps({
            "conn_type": "postgres", "host": db.hostname, "port": db.port, "login": db.username,
            "password": db.password or "", "schema": db.path.lstrip("/")}),
    }


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith(SETTINGS_VARS):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(tmp_path / "state"))
    return monkeypatch


def test_connection_only_configuration_extracts_from_the_sandbox(clean_env, make_database, tmp_path) -> None:
    import os

    from funnelhouse.core.settings import load_settings
    from funnelhouse.orchestration import tasks
    from sandbox.server import start_sandbox
    from sandbox.world import generate

    world = generate(seed=5, people=30, out_dir=tmp_path / "world")
    dsn = make_database("conns")
    with start_sandbox(world) as servers:
        for name, value in conn_vars(servers, dsn).items():
            clean_env.setenv(name, value)
        assert load_settings().sandbox_mode, "before: no settings variable is set"
        names = connections.apply_connections({})
        assert names == ["HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL", "SALESFORCE_ACCESS_TOKEN",
                         "SALESFORCE_CA_FILE", "SALESFORCE_INSTANCE_URL", "WAREHOUSE_DSN"]
        settings = load_settings()
        assert not settings.sandbox_mode and settings.salesforce.configured and settings.hubspot.configured
        assert str(settings.warehouse_dsn) == os.environ["WAREHOUSE_DSN"]
        assert "Lead" in tasks.plan_source("salesforce")
        sf = tasks.extract_object("salesforce", "Lead")
        hs = tasks.extract_object("hubspot", "contacts")
    assert sf["outcome"] == "success" and hs["outcome"] == "success", (sf, hs)
    with psycopg.connect(dsn) as conn:
        leads = conn.execute('select count(*) from raw_salesforce."lead"').fetchone()[0]
        contacts = conn.execute("select count(*) from raw_hubspot.contacts").fetchone()[0]
    assert leads == sum(1 for _ in open(world / "salesforce" / "Lead.jsonl"))
    assert contacts == sum(1 for _ in open(world / "hubspot" / "contacts.jsonl"))


def _conn(**fields) -> SimpleNamespace:
    base = {"host": "", "port": None, "schema": "", "login": "", "password": "", "extra_dejson": {}}
    return SimpleNamespace(**{**base, **fields})


def test_environment_wins_per_section() -> None:
    conns = {"salesforce_default": _conn(host="acme.my.salesforce.com", password="conn-token"),
             "hubspot_default": _conn(password="hs-conn-token"),
             "funnelhouse_warehouse": _conn(host="db", port=5433, login="etl", password="p@ss/w", schema="wh")}
    env = {"SALESFORCE_ACCESS_TOKEN": "env-token", "SALESFORCE_INSTANCE_URL": "https://env.my.salesforce.com"}
    out = connections.connection_env(env, conns.get)
    assert not any(k.startswith("SALESFORCE_") for k in out), "the environment configures Salesforce"
    assert out["HUBSPOT_ACCESS_TOKEN"] == "hs-conn-token" and "HUBSPOT_BASE_URL" not in out
    assert out["WAREHOUSE_DSN"] == "postgresql://etl:p%40ss%2Fw@db:5433/wh"
    assert connections.connection_env({"WAREHOUSE_DSN": "postgresql://x@y/z"}, conns.get).keys() == {
        "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "HUBSPOT_ACCESS_TOKEN"}


def test_salesforce_login_and_client_credential_forms() -> None:
    user = connections.salesforce_env(_conn(host="acme.my.salesforce.com", login="etl@acme", password="pw",
                                            extra_dejson={"security_token": "st", "domain": "test"}))
    assert user == {"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com", "SALESFORCE_USERNAME": "etl@acme",
                    "SALESFORCE_PASSWORD": "pw", "SALESFORCE_SECURITY_TOKEN": "st", "SALESFORCE_DOMAIN": "test"}
    client = connections.salesforce_env(_conn(host="https://acme.my.salesforce.com/",
                                              extra_dejson={"client_id": "cid", "client_secret": "cs"}))
    assert client == {"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com", "SALESFORCE_CLIENT_ID": "cid",
                      "SALESFORCE_CLIENT_SECRET": "cs"}
