"""The core (`funnelhouse/core/`): it loads without any other part of the project, its state paths
honour their overrides, the CRM settings survive the trip through environment variables (what
`make run` hands to Airflow), and the raw contract's DDL builds the tables it describes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from funnelhouse.core import raw
from funnelhouse.core.paths import PROJECT_ROOT, StatePaths
from funnelhouse.core.settings import HubSpotSettings, SalesforceSettings, Secret, crm_env, load_settings

PROJECT_PACKAGES = ("extractors", "sandbox", "expectations", "dags")


def test_core_loads_nothing_else_of_the_project() -> None:
    """import-linter checks the static imports; this checks what actually gets loaded at run time."""
    code = ("import json, sys\n"
            "import funnelhouse.core.env, funnelhouse.core.paths, funnelhouse.core.raw, funnelhouse.core.runtime\n"
            "import funnelhouse.core.settings, funnelhouse.core.warehouse\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('funnelhouse',) + tuple(sys.argv[1:]))))\n")
    out = subprocess.run([sys.executable, "-c", code, *PROJECT_PACKAGES], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=True, timeout=120)
    loaded = json.loads(out.stdout)
    outside = [m for m in loaded if m != "funnelhouse" and not m.startswith("funnelhouse.core")]
    assert outside == []
    assert "funnelhouse.core.warehouse" in loaded


def test_state_paths_layout_and_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FUNNELHOUSE_REPORTS_DIR", "SANDBOX_DATASET", "FUNNELHOUSE_DBT_MANIFEST_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(tmp_path / "st"))
    paths = StatePaths.from_env()
    root = (tmp_path / "st").resolve()
    assert paths.root == root
    assert (paths.pg, paths.airflow_home, paths.logs) == (root / "pg", root / "airflow", root / "logs")
    assert paths.sandbox_world == root / "sandbox" / "world"
    assert paths.latest_report == root / "reports" / "latest" / "index.html"
    assert paths.latest_data_docs == root / "quality" / "data_docs" / "latest" / "index.html"
    assert paths.dbt_manifest == root / "dbt" / "manifest"

    monkeypatch.setenv("FUNNELHOUSE_REPORTS_DIR", str(tmp_path / "reports-elsewhere"))
    monkeypatch.setenv("SANDBOX_DATASET", str(tmp_path / "my-world"))
    monkeypatch.setenv("FUNNELHOUSE_DBT_MANIFEST_DIR", str(tmp_path / "manifest"))
    assert paths.reports == tmp_path / "reports-elsewhere"
    assert paths.sandbox_world == (tmp_path / "my-world").resolve()
    assert paths.dbt_manifest == tmp_path / "manifest"
    assert load_settings(env_file=tmp_path / "none.env").paths.reports == tmp_path / "reports-elsewhere"


def test_crm_settings_round_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    salesforce = SalesforceSettings(instance_url="https://acme.my.salesforce.com", access_token=Secret("00Dtoken"),
                                    ca_file="/etc/ca.pem", api_version="61.0")
    hubspot = HubSpotSettings(access_token=Secret("pat-na1-xyz"), base_url="http://127.0.0.1:9999")
    env = crm_env(salesforce, hubspot)
    assert "SALESFORCE_DOMAIN" not in env  # left at its default, not written
    for name in ("SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET",
                 "SALESFORCE_SECURITY_TOKEN", "SALESFORCE_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    loaded = load_settings(env_file=tmp_path / "none.env")
    assert loaded.salesforce == salesforce
    assert loaded.hubspot == hubspot


def test_raw_contract_tables_and_ddl(make_database: Callable[[str], str]) -> None:
    assert raw.tables("salesforce")[:5] == ("currency_type", "dated_conversion_rate", "user_role", "user", "account")
    assert "marketing_event_participations" in raw.tables("hubspot")
    assert raw.table_name("OpportunityContactRole") == "opportunity_contact_role"
    with pytest.raises(ValueError, match="unknown source 'pipedrive'; expected one of salesforce, hubspot"):
        raw.objects("pipedrive")
    dsn = make_database("core_raw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        raw.ensure_meta(conn)
        raw.ensure_raw_table(conn, "salesforce", "lead")
        raw.ensure_raw_table(conn, "salesforce", "lead")  # idempotent
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw_salesforce' "
            "and table_name = 'lead' order by ordinal_position").fetchall()]
        key = [r[0] for r in conn.execute(
            "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid "
            "and a.attnum = any(i.indkey) where i.indrelid = 'raw_salesforce.lead'::regclass and i.indisprimary "
            "order by array_position(i.indkey, a.attnum)").fetchall()]
        meta = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_meta'").fetchall()}
    assert tuple(columns) == raw.RAW_COLUMNS
    assert key == ["id", "source_updated_at"]
    assert meta == {"sync_state", "sync_runs", "rejected_records", "rate_slots", "access_checks"}


def test_the_mart_fields_the_permission_check_expects_are_the_ones_staging_reads() -> None:
    """SALESFORCE_MART_FIELDS (what a restricted integration user must see) is the standard fields the
    staging models read, computed here from the SQL: the two cannot drift apart."""
    import re

    read: dict[str, set[str]] = {}
    for path in (PROJECT_ROOT / "dbt_project" / "models" / "staging" / "salesforce").glob("stg_*.sql"):
        text = path.read_text()
        table = re.search(r"'salesforce', '([a-z_0-9]+)'", text)
        if not table:
            continue
        obj = next((o for o in raw.SALESFORCE_OBJECTS if raw.table_name(o) == table.group(1)), None)
        fields = {f for f in re.findall(r"fields->>'([A-Za-z_0-9]+)'", text)
                  if not f.endswith("__c") and f != "CurrencyIsoCode"}
        if obj and fields:
            read.setdefault(obj, set()).update(fields)
    assert {o: set(f) for o, f in raw.SALESFORCE_MART_FIELDS.items()} == read


def test_extra_objects_are_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from funnelhouse.core.env import ConfigError

    monkeypatch.setenv("SALESFORCE_EXTRA_OBJECTS", " Invoice__c, Shipment__c ,Invoice__c")
    monkeypatch.setenv("HUBSPOT_EXTRA_OBJECTS", "2-4000001")
    assert raw.objects("salesforce")[-2:] == ("Invoice__c", "Shipment__c")
    assert raw.objects("hubspot")[-1] == "2-4000001" and raw.table_name("2-4000001") == "custom_2_4000001"
    assert raw.table_name("Invoice__c") == "invoice__c"
    monkeypatch.setenv("SALESFORCE_EXTRA_OBJECTS", "Invoice__c; DROP TABLE")
    with pytest.raises(ConfigError, match="SALESFORCE_EXTRA_OBJECTS"):
        raw.objects("salesforce")
