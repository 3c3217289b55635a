"""Issue 15 #11: custom objects are configuration, not code. SALESFORCE_EXTRA_OBJECTS=Invoice__c lands
in raw with the same incremental, soft-delete and hard-delete (tombstone) guarantees as the built-in
objects; a misspelt name fails in one line naming the setting and the object, and creates nothing.
Real simple-salesforce over HTTPS against the emulator (`--mess heavy` has Invoice__c)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from extractors.run import extract, list_objects
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for, snapshot


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(seed=67, people=900, out_dir=tmp_path_factory.mktemp("extra") / "w", mess="heavy")


def _invoices(dataset: Path) -> dict[str, dict]:
    return {r["Id"]: r for r in dataset_records(dataset, "salesforce", "Invoice__c")}


def test_an_extra_salesforce_object_lands_with_the_same_guarantees(
        world: Path, make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESFORCE_EXTRA_OBJECTS", "Invoice__c")
    assert list_objects("salesforce")[-1] == "Invoice__c"
    moving = Path(shutil.copytree(world, tmp_path / "w"))
    dsn = make_database("extra_sf")
    before = _invoices(moving)
    assert len(before) >= 5  # a handful is enough: the advance below must purge some and add others
    with start_sandbox(moving) as servers:
        settings = settings_for(servers, tmp_path)
        first = extract(settings, dsn, sources=["salesforce"], objects=["Invoice__c"], progress=False,
                        options=TEST_OPTIONS)
        stored = latest(dsn, "raw_salesforce.invoice__c")
        assert first.ok and {i: (r[1], r[2]["Status__c"]) for i, r in stored.items()} == \
            {i: (r["IsDeleted"], r["Status__c"]) for i, r in before.items()}
        advance(moving, days=120)
        servers.reload()
        after = _invoices(moving)
        second = extract(settings, dsn, sources=["salesforce"], objects=["Invoice__c"], progress=False,
                         options=TEST_OPTIONS)
        again = snapshot(dsn)
        third = extract(settings, dsn, sources=["salesforce"], objects=["Invoice__c"], progress=False,
                        options=TEST_OPTIONS)
    purged = set(before) - set(after)
    assert purged and set(after) - set(before), "the advance should purge some invoices and add others"
    assert second.ok and second.objects[0].tombstones == len(purged)
    stored = latest(dsn, "raw_salesforce.invoice__c")
    assert set(stored) == set(before) | set(after)
    for i, (_, deleted, record) in stored.items():
        if i in purged:
            assert deleted and record.get("_hard_deleted") is True
        else:
            assert (deleted, record["Status__c"], record["SystemModstamp"]) == \
                (after[i]["IsDeleted"], after[i]["Status__c"], after[i]["SystemModstamp"])
    assert third.ok and third.objects[0].versions_new == 0 and snapshot(dsn) == again


def test_a_misspelt_extra_object_fails_in_one_line_and_creates_nothing(
        world: Path, make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESFORCE_EXTRA_OBJECTS", "Invoise__c")
    dsn = make_database("extra_typo")
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, sources=["salesforce"], objects=["Lead", "Invoise__c"],
                          progress=False, options=TEST_OPTIONS)
    by_object = {o.object: o for o in summary.objects}
    assert by_object["Lead"].outcome == "success" and not summary.ok
    error = by_object["Invoise__c"].error or ""
    assert "\n" not in error and "SALESFORCE_EXTRA_OBJECTS" in error and "'Invoise__c'" in error, error
    with psycopg.connect(dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_salesforce'")}
        states = {r[0] for r in conn.execute("select object from raw_meta.sync_state")}
    assert "invoise__c" not in tables and "Invoise__c" not in states and "lead" in tables


@pytest.mark.parametrize("name", ["2-4000001", "p4000_invoices"])
def test_an_extra_hubspot_custom_object_lands_with_the_same_guarantees(
        name: str, world: Path, make_database: Callable[[str], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """By objectTypeId or fullyQualifiedName: list first, search after; archived ones arrive as
    archived versions, purged ones (gone without archiving) as tombstones."""
    monkeypatch.setenv("HUBSPOT_EXTRA_OBJECTS", name)
    monkeypatch.setenv("HUBSPOT_RECONCILE_HOURS", "0")
    table = "raw_hubspot." + ("custom_2_4000001" if name[0].isdigit() else name)
    moving = Path(shutil.copytree(world, tmp_path / "w"))
    dsn = make_database("extra_hs")

    def served(dataset: Path) -> dict[str, dict]:
        return {r["id"]: r for r in dataset_records(dataset, "hubspot", "2-4000001")}

    before = served(moving)
    assert len(before) >= 5  # a handful is enough: the advance below must purge some and add others
    with start_sandbox(moving) as servers:
        settings = settings_for(servers, tmp_path)
        options = replace(TEST_OPTIONS, hubspot_reconcile_hours=0)
        first = extract(settings, dsn, sources=["hubspot"], objects=[name], progress=False, options=options)
        stored = latest(dsn, table)
        assert first.ok and {i: (r[1], r[2]["properties"]["invoice_status"]) for i, r in stored.items()} == \
            {i: (r["archived"], r["properties"]["invoice_status"]) for i, r in before.items()}
        advance(moving, days=120)
        servers.reload()
        after = served(moving)
        second = extract(settings, dsn, sources=["hubspot"], objects=[name], progress=False, options=options)
        again = snapshot(dsn)
        third = extract(settings, dsn, sources=["hubspot"], objects=[name], progress=False, options=options)
    purged = set(before) - set(after)
    assert purged and set(after) - set(before)
    assert second.ok, second.objects[0].error
    assert "search" in second.objects[0].mode and second.objects[0].tombstones == len(purged)
    stored = latest(dsn, table)
    assert set(stored) == set(before) | set(after)
    for i, (_, deleted, record) in stored.items():
        if i in purged:
            assert deleted and record.get("_vanished") is True
        else:
            assert (deleted, record["properties"]["invoice_status"], record["updatedAt"]) == \
                (after[i]["archived"], after[i]["properties"]["invoice_status"], after[i]["updatedAt"])
    assert third.ok and third.objects[0].versions_new == 0 and snapshot(dsn) == again


def test_a_misspelt_hubspot_extra_object_fails_in_one_line(
        world: Path, make_database: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_EXTRA_OBJECTS", "2-4000002")
    dsn = make_database("extra_hs_typo")
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, sources=["hubspot"], objects=["owners", "2-4000002"],
                          progress=False, options=TEST_OPTIONS)
    by_object = {o.object: o for o in summary.objects}
    error = by_object["2-4000002"].error or ""
    assert by_object["owners"].outcome == "success" and not summary.ok
    assert "\n" not in error and "HUBSPOT_EXTRA_OBJECTS" in error and "'2-4000002'" in error, error
    with psycopg.connect(dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_hubspot'")}
    assert "custom_2_4000002" not in tables and "owners" in tables
