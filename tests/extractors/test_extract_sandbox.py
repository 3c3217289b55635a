"""End to end against the sandbox emulators: real simple-salesforce and hubspot-api-client over HTTP,
real PostgreSQL. One small world per module; every test gets its own fresh database."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from extractors.hubspot.associations import ASSOCIATION_PAIRS
from extractors.run import extract, extract_object, list_objects
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from tests.support.extract import (
    TEST_OPTIONS,
    dataset_records,
    expected_pairs,
    extract_with_crashes,
    latest,
    settings_for,
    snapshot,
    stored_pairs,
)
from tests.support.worlds import WorldCache

PEOPLE = 160


@pytest.fixture(scope="module")
def world(worlds: WorldCache) -> Path:
    return worlds.dataset(11, PEOPLE)  # read-only here: the advancing test copies it


@pytest.fixture(scope="module")
def servers(world: Path) -> Iterator[object]:
    with start_sandbox(world) as running:
        yield running


@pytest.fixture(scope="module")
def baseline(servers: object, make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding one uninterrupted, fault-free extraction of the world."""
    dsn = make_database("ex_base")
    summary = extract(settings_for(servers, tmp_path_factory.mktemp("s")), dsn, progress=False,
                      options=TEST_OPTIONS)
    failed = [(o.source, o.object, o.error) for o in summary.objects if o.outcome != "success"]
    assert failed == []
    return dsn


def test_every_object_lands_with_every_record(baseline: str, world: Path) -> None:
    for name in list_objects("salesforce"):
        from funnelhouse.core.raw import table_name

        expected = {r["Id"] for r in dataset_records(world, "salesforce", name)}
        got = latest(baseline, f'raw_salesforce."{table_name(name)}"')
        assert set(got) == expected, name
        deleted = {r["Id"] for r in dataset_records(world, "salesforce", name) if r.get("IsDeleted")}
        assert {i for i, v in got.items() if v[1]} == deleted, name
    for name in ("contacts", "companies", "deals", "line_items", "calls", "emails", "meetings"):
        expected = {r["id"] for r in dataset_records(world, "hubspot", name)}
        got = latest(baseline, f"raw_hubspot.{name}")
        assert set(got) == expected, name
        archived = {r["id"] for r in dataset_records(world, "hubspot", name) if r.get("archived")}
        assert {i for i, v in got.items() if v[1]} == archived, name
    contacts = latest(baseline, "raw_hubspot.contacts")
    sample = next(v[2] for v in contacts.values() if not v[1])
    assert "lifecyclestage" in sample["propertiesWithHistory"]
    assert len(latest(baseline, "raw_hubspot.owners")) == len(dataset_records(world, "hubspot", "owners"))
    wanted = expected_pairs(world, ASSOCIATION_PAIRS)
    assert wanted and stored_pairs(baseline) == wanted
    merges = {r["mergedId"]: r["primaryId"] for r in dataset_records(world, "hubspot", "contact_merges")}
    got_merges = latest(baseline, "raw_hubspot.contact_merges")
    assert {k: v[2]["primaryId"] for k, v in got_merges.items()} == merges
    participations = dataset_records(world, "hubspot", "marketing_event_participations")
    live_contacts = {c["id"] for c in dataset_records(world, "hubspot", "contacts") if not c.get("archived")}
    assert set(latest(baseline, "raw_hubspot.marketing_event_participations")) == {
        f"{p['marketingEventId']}:{p['contactId']}:{p['properties']['attendanceState']}:{p['properties']['occurredAt']}"
        for p in participations if p["contactId"] in live_contacts}
    with psycopg.connect(baseline) as conn:
        assert conn.execute("select count(*) from raw_meta.rejected_records").fetchone()[0] == 0
        outcomes = conn.execute("select distinct outcome from raw_meta.sync_runs").fetchall()
        assert outcomes == [("success",)]


def test_second_run_leaves_raw_tables_byte_identical(baseline: str, servers: object, tmp_path: Path) -> None:
    before = snapshot(baseline)
    summary = extract(settings_for(servers, tmp_path), baseline, progress=False, options=TEST_OPTIONS)
    assert summary.ok
    assert sum(o.versions_new for o in summary.objects) == 0
    assert snapshot(baseline) == before


def test_full_refresh_rereads_everything_and_adds_nothing(baseline: str, servers: object, tmp_path: Path) -> None:
    before = snapshot(baseline)
    salesforce_rows = sum(len(rows) for table, rows in before.items() if table.startswith("raw_salesforce"))
    summary = extract(settings_for(servers, tmp_path), baseline, full_refresh=True, progress=False,
                      options=TEST_OPTIONS)
    assert summary.ok
    assert all(o.mode.startswith("full_refresh") for o in summary.objects)
    # every Salesforce record read again (one version each in this world) ...
    assert sum(o.rows for o in summary.objects if o.source == "salesforce") == salesforce_rows
    assert sum(o.versions_new for o in summary.objects) == 0  # ... and nothing was new
    assert snapshot(baseline) == before


def test_crash_at_random_points_then_resume_equals_uninterrupted(
        baseline: str, servers: object, make_database: Callable[[str], str], tmp_path: Path) -> None:
    """Raise between pages, inside the load transaction before the COPY and before its commit."""
    dsn = make_database("ex_crash")
    settings = settings_for(servers, tmp_path)
    options = replace(TEST_OPTIONS, flush_rows=30)
    rnd = random.Random(5)
    crashes: dict[str, int] = {}
    extract_with_crashes(settings, dsn, rnd, crashes, options, 8)
    assert sum(crashes.values()) >= 15 and min(crashes.values()) >= 3 and len(crashes) == 3, crashes
    assert snapshot(dsn, exact=False) == snapshot(baseline, exact=False)
    with psycopg.connect(dsn) as conn:
        failed = conn.execute("select count(*) from raw_meta.sync_runs where outcome = 'failed'").fetchone()[0]
    assert failed == sum(crashes.values())


def test_sigkill_of_the_cli_at_random_moments_then_resume(
        baseline: str, world: Path, make_database: Callable[[str], str]) -> None:
    """The real thing: `python -m extractors` killed with SIGKILL mid-run, then run again. Every API
    call takes 25 ms more here, so a run lasts long enough to be killed on any machine."""
    dsn = make_database("ex_kill")
    with start_sandbox(world, faults=FaultConfig(latency_ms=25)) as servers:
        env = {**os.environ, "WAREHOUSE_DSN": dsn, **servers.crm_env(), "EXTRACT_FLUSH_ROWS": "40",
               "GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1"}
        root = Path(__file__).resolve().parents[2]
        rnd = random.Random(9)
        kills = 0
        command = [sys.executable, "-m", "extractors", "--quiet"]
        for _ in range(4):
            proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=rnd.uniform(1.5, 5.0))  # interpreter start-up takes ~1.5 s
            except subprocess.TimeoutExpired:
                proc.kill()  # SIGKILL: no cleanup, no flush, possibly mid-COPY
                proc.wait()
                kills += 1
        finished = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert kills >= 2
    assert snapshot(dsn, exact=False) == snapshot(baseline, exact=False)


def test_faults_give_identical_data(baseline: str, world: Path, make_database: Callable[[str], str],
                                    tmp_path: Path) -> None:
    faults = FaultConfig(error_rate=0.1, drop_rate=0.03, retry_after=0.05, seed=3)
    dsn = make_database("ex_fault")
    with start_sandbox(world, faults=faults) as flaky:
        summary = extract(settings_for(flaky, tmp_path), dsn, progress=False, options=TEST_OPTIONS)
    assert [(o.object, o.error) for o in summary.objects if o.outcome != "success"] == []
    assert sum(o.retries for o in summary.objects) > 10
    assert snapshot(dsn, exact=False) == snapshot(baseline, exact=False)


def test_bulk_path_stores_the_same_records_as_rest(baseline: str, servers: object,
                                                    make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("ex_bulk")
    options = replace(TEST_OPTIONS, bulk_threshold=50)
    summary = extract(settings_for(servers, tmp_path), dsn, sources=["salesforce"], progress=False, options=options)
    assert summary.ok
    with psycopg.connect(dsn) as conn:
        modes = dict(conn.execute("select object, mode from raw_meta.sync_runs").fetchall())
    assert "bulk2" in modes["Lead"] and "rest" in modes["UserRole"]
    base = {k: v for k, v in snapshot(baseline, exact=False).items() if k.startswith("raw_salesforce")}
    assert snapshot(dsn, exact=False) == base


def test_advance_lands_updates_deletes_merges_and_new_fields(
        world: Path, make_database: Callable[[str], str], tmp_path: Path) -> None:
    from sandbox.world import advance

    moving = tmp_path / "world"
    shutil.copytree(world, moving)
    dsn = make_database("ex_adv")
    with start_sandbox(moving) as first:
        assert extract(settings_for(first, tmp_path), dsn, progress=False, options=TEST_OPTIONS).ok
    before_members = latest(dsn, "raw_salesforce.campaign_member")
    advance(moving, days=120)
    # Few members are hard-deleted in 120 days of a small world: purge a few more from the dataset
    # files (the documented export layout), as emptying the recycle bin would.
    path = moving / "salesforce" / "CampaignMember.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[3:]) + "\n")
    with start_sandbox(moving) as second:
        summary = extract(settings_for(second, tmp_path), dsn, progress=False, options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    assert {o.object: o.mode.split(" ")[0] for o in summary.objects}["Lead"] == "incremental"

    # Every record now at the source is stored in its current version.
    from funnelhouse.core.raw import table_name

    for name in list_objects("salesforce"):
        records = dataset_records(moving, "salesforce", name)
        got = latest(dsn, f'raw_salesforce."{table_name(name)}"')
        for record in records:
            stored = got[record["Id"]][2]
            assert stored.get("SystemModstamp", stored.get("CreatedDate")) == record.get(
                "SystemModstamp", record.get("CreatedDate")), (name, record["Id"])
            assert stored.get("IsDeleted") == record.get("IsDeleted"), (name, record["Id"])
    accounts = dataset_records(moving, "salesforce", "Account")
    tiers = {r["Id"]: r.get("Partner_Tier__c") for r in accounts if r.get("Partner_Tier__c")}
    stored_accounts = latest(dsn, "raw_salesforce.account")
    assert tiers and all(stored_accounts[i][2]["Partner_Tier__c"] == t for i, t in tiers.items())

    # Hard-deleted campaign members became tombstones.
    now_ids = {r["Id"] for r in dataset_records(moving, "salesforce", "CampaignMember")}
    gone = set(before_members) - now_ids
    members = latest(dsn, "raw_salesforce.campaign_member")
    assert gone and all(members[i][1] and members[i][2]["_hard_deleted"] for i in gone)

    # HubSpot: current versions, merges folded, new custom property arrived.
    contacts = latest(dsn, "raw_hubspot.contacts")
    for record in dataset_records(moving, "hubspot", "contacts"):
        assert contacts[record["id"]][2]["updatedAt"] == record["updatedAt"]
    merges = dataset_records(moving, "hubspot", "contact_merges")
    stored_merges = latest(dsn, "raw_hubspot.contact_merges")
    assert {m["mergedId"] for m in merges} == set(stored_merges)
    for merge in merges:
        if merge["mergedId"] in contacts:
            assert contacts[merge["mergedId"]][1], merge
    assert stored_pairs(dsn) == expected_pairs(moving, ASSOCIATION_PAIRS)
    companies = latest(dsn, "raw_hubspot.companies")
    assert any("fh_partner_tier" in v[2]["properties"] for v in companies.values())


def test_quota_guard_stops_cleanly_and_the_next_run_resumes(
        baseline: str, world: Path, make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("ex_quota")
    options = replace(TEST_OPTIONS, quota_share=0.4)  # 9 requests left -> 3 for this object: one page
    with start_sandbox(world, faults=FaultConfig(salesforce_daily_limit=10)) as tight:
        stopped = extract_object(settings_for(tight, tmp_path), dsn, "salesforce", "Task", options=options)
    assert stopped.outcome == "stopped_quota" and "EXTRACT_SF_QUOTA_SHARE" in stopped.error
    assert 0 < stopped.rows < len(dataset_records(world, "salesforce", "Task"))
    assert stopped.watermark is not None
    with start_sandbox(world) as roomy:
        resumed = extract_object(settings_for(roomy, tmp_path), dsn, "salesforce", "Task", options=options)
    assert resumed.outcome == "success" and resumed.mode.startswith("incremental")
    assert resumed.rows < len(dataset_records(world, "salesforce", "Task"))  # it did not start over
    key = "raw_salesforce.task"
    assert snapshot(dsn, exact=False)[key] == snapshot(baseline, exact=False)[key]


def test_long_field_lists_are_split_and_merged(baseline: str, servers: object,
                                              make_database: Callable[[str], str], tmp_path: Path) -> None:
    """With a tiny URI budget every request is split into field chunks; the merged records must be
    exactly those of unsplit requests."""
    dsn = make_database("ex_split")
    options = replace(TEST_OPTIONS, max_uri_length=900)
    summary = extract(settings_for(servers, tmp_path), dsn, objects=["Lead", "Account", "contacts", "deals"],
                      progress=False, options=options)
    assert summary.ok
    calls = {o.object: o.api_calls for o in summary.objects}
    with psycopg.connect(baseline) as conn:
        plain = dict(conn.execute("select object, min(api_calls) from raw_meta.sync_runs group by 1").fetchall())
    assert calls["Lead"] > plain["Lead"] and calls["contacts"] > plain["contacts"], (calls, plain)  # chunked
    base = snapshot(baseline, exact=False)
    for table, rows in snapshot(dsn, exact=False).items():
        assert rows == base[table], table


def test_client_credentials_login(servers: object, make_database: Callable[[str], str], tmp_path: Path) -> None:
    from funnelhouse.core.settings import SalesforceSettings, Secret, Settings

    settings = Settings(state_dir=tmp_path, salesforce=SalesforceSettings(
        instance_url=servers.salesforce_url, client_id="funnelhouse-app", client_secret=Secret("app-secret-991"),
        ca_file=str(servers.ca_file)))
    summary = extract_object(settings, make_database("ex_cc"), "salesforce", "Product2", options=TEST_OPTIONS)
    assert summary.outcome == "success" and summary.versions_new > 0


def test_expired_query_locators_are_recovered(baseline: str, world: Path, make_database: Callable[[str], str],
                                              tmp_path: Path) -> None:
    """Every Salesforce cursor expires at once: each query yields one page, then is re-issued from there."""
    dsn = make_database("ex_locator")
    with start_sandbox(world, faults=FaultConfig(locator_ttl_s=0.0)) as expiring:
        summary = extract(settings_for(expiring, tmp_path), dsn, objects=["Task", "CampaignMember"],
                          progress=False, options=TEST_OPTIONS)
    assert summary.ok, [o.error for o in summary.objects]
    with psycopg.connect(baseline) as conn:
        plain = dict(conn.execute("select object, min(api_calls) from raw_meta.sync_runs group by 1").fetchall())
    # the second page's cursor had expired: one failed call, then a new query from the watermark
    assert all(o.pages > 1 and o.api_calls > plain[o.object] for o in summary.objects), (
        [(o.object, o.pages, o.api_calls) for o in summary.objects], plain)
    base = snapshot(baseline, exact=False)
    for table, rows in snapshot(dsn, exact=False).items():
        assert rows == base[table], table
