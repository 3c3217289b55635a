"""Issue 15 on a small `--mess heavy` world (multi-currency, restricted integration user, QUERY_TIMEOUT on
Task): the currency objects and fields land exactly as the sandbox dataset holds them, the Task rows read
by the Bulk 2.0 fallback are exactly the rows the integration user can see, once each, and a Salesforce
token that expired after a successful extraction fails in one line naming the setting while nothing
loaded is lost. Real simple-salesforce / hubspot-api-client over HTTP against the emulators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from extractors.engine.errors import ExtractError
from extractors.run import ExtractSummary, extract, extract_object
from funnelhouse.core.settings import HubSpotSettings, Secret, crm_env
from sandbox.server import start_sandbox
from sandbox.world import generate
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for, snapshot

#: what the baseline extracts: the currency objects and fields of both CRMs, and Task (QUERY_TIMEOUT)
OBJECTS = ["CurrencyType", "DatedConversionRate", "Opportunity", "Task", "deals"]
#: the session the pipeline holds; the org later expires it (the emulator then accepts only ROTATED)
SESSION = "00DHp0000001aBc!AQ4AQsessionTokenThatExpires7c1f"
ROTATED = "00DHp0000001aBc!AQ4AQrotatedSession9d2e"


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # seed 71 / 200 people: USD, EUR and GBP deals and opportunities; 460 tasks, 26 of them private
    # (434 visible, over the 300 rows at which a REST query of Task answers QUERY_TIMEOUT)
    return generate(seed=71, people=200, out_dir=tmp_path_factory.mktemp("sf_heavy") / "w", mess="heavy")


@pytest.fixture(scope="module")
def baseline(heavy: Path, make_database: Callable[[str], str],
             tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ExtractSummary]:
    dsn = make_database("sf_heavy")
    with start_sandbox(heavy, token=SESSION) as servers:
        summary = extract(settings_for(servers, tmp_path_factory.mktemp("s")), dsn, objects=OBJECTS,
                          progress=False, options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    return dsn, summary


def _fields(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "attributes"}


def _versions(dsn: str, table: str) -> dict[str, int]:
    """id -> number of stored versions (every row, not the latest one)."""
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute(f"select id, count(*) from {table} group by id").fetchall())


def test_currency_objects_and_fields_equal_the_dataset(heavy: Path, baseline: tuple[str, ExtractSummary]) -> None:
    dsn, _ = baseline
    for obj, table in (("CurrencyType", "currency_type"), ("DatedConversionRate", "dated_conversion_rate")):
        expected = {r["Id"]: r for r in dataset_records(heavy, "salesforce", obj)}
        stored = latest(dsn, f"raw_salesforce.{table}")
        assert expected and {k: _fields(v[2]) for k, v in stored.items()} == expected, obj
        assert _versions(dsn, f"raw_salesforce.{table}") == dict.fromkeys(expected, 1), obj
    rates = [r for r in dataset_records(heavy, "salesforce", "DatedConversionRate") if r["IsoCode"] == "EUR"]
    assert len({r["ConversionRate"] for r in rates}) > 1  # a dated rate change really is in the world

    opportunities = {r["Id"]: (r["CurrencyIsoCode"], r.get("Amount"))
                     for r in dataset_records(heavy, "salesforce", "Opportunity")}
    stored_opps = latest(dsn, "raw_salesforce.opportunity")
    assert {k: (v[2]["CurrencyIsoCode"], v[2].get("Amount")) for k, v in stored_opps.items()} == opportunities
    assert {c for c, _ in opportunities.values()} == {"USD", "EUR", "GBP"}

    money = ("deal_currency_code", "amount_in_home_currency", "amount")
    deals = {r["id"]: tuple(r["properties"].get(p) for p in money) for r in dataset_records(heavy, "hubspot", "deals")}
    stored_deals = latest(dsn, "raw_hubspot.deals")
    assert {k: tuple(v[2]["properties"].get(p) for p in money) for k, v in stored_deals.items()} == deals
    assert {d[0] for d in deals.values()} == {"USD", "EUR", "GBP"}
    assert all(d[1] is not None for d in deals.values())


def test_tasks_read_through_the_query_timeout_fallback_are_the_visible_rows_once_each(
        heavy: Path, baseline: tuple[str, ExtractSummary]) -> None:
    dsn, summary = baseline
    task = next(o for o in summary.objects if o.object == "Task")
    assert "bulk2" in task.mode  # REST answered QUERY_TIMEOUT, Bulk 2.0 read the rows
    org = json.loads((heavy / "salesforce_org.json").read_text())
    private, hidden = set(org["private_rows"]["Task"]), set(org["hidden_fields"]["Task"])
    everything = dataset_records(heavy, "salesforce", "Task")
    visible = {r["Id"]: {k: v for k, v in r.items() if k not in hidden} for r in everything if r["Id"] not in private}
    assert private and len(visible) > org["query_timeout_rows"]["Task"]
    stored = latest(dsn, "raw_salesforce.task")
    assert {k: _fields(v[2]) for k, v in stored.items()} == visible
    assert all(v[1] == bool(visible[k].get("IsDeleted")) for k, v in stored.items())
    assert _versions(dsn, "raw_salesforce.task") == dict.fromkeys(visible, 1)  # no id stored twice


def _bookkeeping(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select source, object, watermark, last_id, cursor::text, reconciled_at "
                            "from raw_meta.sync_state order by 1, 2").fetchall()


def test_an_expired_salesforce_token_fails_in_one_line_naming_the_setting_and_loses_nothing(
        heavy: Path, baseline: tuple[str, ExtractSummary], tmp_path: Path) -> None:
    dsn, _ = baseline
    before, state = snapshot(dsn), _bookkeeping(dsn)
    assert any(r[0] == "salesforce" and r[2] is not None for r in state)
    # The org has expired the session the pipeline holds: only a newer one is accepted now.
    with start_sandbox(heavy, token=ROTATED) as servers:
        good = settings_for(servers, tmp_path)
        stale = replace(good, salesforce=replace(good.salesforce, access_token=Secret(SESSION)))
        with pytest.raises(ExtractError) as failure:
            extract_object(stale, dsn, "salesforce", "Task", options=TEST_OPTIONS)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "HUBSPOT_"))}
        env |= {**crm_env(stale.salesforce, HubSpotSettings()), "WAREHOUSE_DSN": dsn,
                "FUNNELHOUSE_STATE_DIR": str(tmp_path), "GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1"}
        cli = subprocess.run([sys.executable, "-m", "extractors", "salesforce", "--quiet"],
                             cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                             timeout=120)
    message = str(failure.value)
    assert "\n" not in message and "SALESFORCE_ACCESS_TOKEN" in message and "401" in message, message
    assert SESSION not in message
    output = cli.stdout + cli.stderr
    assert cli.returncode == 1 and SESSION not in output, output
    failed = [line for line in cli.stdout.splitlines() if line.startswith("  salesforce.")]
    assert failed and all("SALESFORCE_ACCESS_TOKEN" in line and "401" in line for line in failed), output
    assert "Traceback" not in output
    after = snapshot(dsn)
    assert {k: after[k] for k in before} == before  # raw untouched: every version, row identity included
    assert not any(after[k] for k in set(after) - set(before))  # objects the baseline never read: still empty
    assert _bookkeeping(dsn) == state  # watermarks and cursors unchanged: a good token resumes from here
