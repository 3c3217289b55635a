"""Issue 15 #3: HubSpot records that vanish without being archived (GDPR delete, purge after 90 days)
become tombstones through an id reconciliation, budgeted by HUBSPOT_RECONCILE_HOURS. `--mess heavy`
world advanced past the vanishing, real hubspot-api-client over HTTP."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from extractors.run import extract, extract_object
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for

OBJECTS = ["contacts", "calls", "emails", "meetings"]


@pytest.fixture(scope="module")
def vanished(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]
             ) -> tuple[Path, str, dict[str, set[str]], Path]:
    root = tmp_path_factory.mktemp("vanish")
    world = generate(seed=37, people=400, out_dir=root / "w", mess="heavy")
    dsn = make_database("hs_vanish")
    with start_sandbox(world) as servers:
        assert extract(settings_for(servers, root), dsn, objects=OBJECTS, progress=False, options=TEST_OPTIONS).ok
    stored = {t: {i for i, v in latest(dsn, f"raw_hubspot.{t}").items() if not v[1]} for t in OBJECTS}
    advance(world, days=200)
    merged = {m["mergedId"] for m in dataset_records(world, "hubspot", "contact_merges")}
    gone = {t: stored[t] - {r["id"] for r in dataset_records(world, "hubspot", t)} - merged for t in OBJECTS}
    assert sum(map(len, gone.values())) >= 3, gone
    return world, dsn, gone, root


def test_the_reconciliation_is_budgeted_and_then_tombstones_every_vanished_record(
        vanished: tuple[Path, str, dict[str, set[str]], Path]) -> None:
    world, dsn, gone, root = vanished
    with start_sandbox(world) as servers:
        settings = settings_for(servers, root)
        # The first run listed every id and compared for free; 24 h have not passed: no id listing.
        early = extract_object(settings, dsn, "hubspot", "contacts", options=TEST_OPTIONS)
        assert early.outcome == "success" and early.tombstones == 0
        contacts = latest(dsn, "raw_hubspot.contacts")
        assert all(not contacts[i][1] for i in gone["contacts"])
        # Due (HUBSPOT_RECONCILE_HOURS = 0: every run): every id is listed and compared.
        due = replace(TEST_OPTIONS, hubspot_reconcile_hours=0)
        summaries = {t: extract_object(settings, dsn, "hubspot", t, options=due) for t in OBJECTS}
    assert all(s.outcome == "success" for s in summaries.values())
    for object_type, ids in gone.items():
        stored = latest(dsn, f"raw_hubspot.{object_type}")
        for record_id in ids:
            deleted, record = stored[record_id][1], stored[record_id][2]
            assert deleted and record["_hard_deleted"] and record["_vanished"], (object_type, record_id)
        assert summaries[object_type].tombstones == len(ids), object_type
        # nothing still served became a tombstone
        served = {r["id"] for r in dataset_records(world, "hubspot", object_type)}
        assert not any(v[1] and "_vanished" in v[2] for i, v in stored.items() if i in served), object_type


def test_a_re_run_adds_no_second_tombstone_and_the_check_costs_one_call_per_100_ids(
        vanished: tuple[Path, str, dict[str, set[str]], Path]) -> None:
    world, dsn, _, root = vanished
    with start_sandbox(world) as servers:
        settings = settings_for(servers, root)
        again = extract_object(settings, dsn, "hubspot", "contacts",
                               options=replace(TEST_OPTIONS, hubspot_reconcile_hours=0))
        plain = extract_object(settings, dsn, "hubspot", "contacts", options=TEST_OPTIONS)  # not due: 24 h
    assert again.outcome == "success" and again.versions_new == 0 and again.tombstones == 0
    live = sum(1 for r in dataset_records(world, "hubspot", "contacts") if not r.get("archived"))
    assert again.api_calls - plain.api_calls == math.ceil(live / 100), (again.api_calls, plain.api_calls, live)
