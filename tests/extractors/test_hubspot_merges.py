"""Issue 15 #2: deal and company merges, as contact merges: the merged-away record is tombstoned with
`_merged_into`, the merge recorded in `object_merges`, the survivors' `hs_merged_object_ids` read.
`--mess heavy` world advanced past merges, real hubspot-api-client over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from extractors.run import extract
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from sandbox.world.clock import parse_instant
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for, snapshot


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]
           ) -> tuple[Path, str, dict[str, dict[str, tuple]]]:
    root = tmp_path_factory.mktemp("merges")
    # Start the world the day before a deal merge, so its duplicate is loaded live first.
    probe = generate(seed=31, people=400, out_dir=root / "probe", mess="heavy")
    merge = max((m for m in dataset_records(probe, "hubspot", "object_merges") if m["objectType"] == "deals"),
                key=lambda m: m["mergedAt"])
    clock = parse_instant(merge["mergedAt"]) - 86_400
    world = generate(seed=31, people=400, out_dir=root / "w", mess="heavy", clock=clock)
    dsn = make_database("hs_merge")
    with start_sandbox(world) as servers:
        assert extract(settings_for(servers, root), dsn, sources=["hubspot"], progress=False,
                       options=TEST_OPTIONS).ok
    before = {t: latest(dsn, f"raw_hubspot.{t}") for t in ("deals", "companies")}
    advance(world, days=200)
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, root), dsn, sources=["hubspot"], progress=False,
                          options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    return world, dsn, before


def test_every_deal_and_company_merge_is_recorded(merged: tuple[Path, str, dict]) -> None:
    world, dsn, _ = merged
    expected = {f"{m['objectType']}:{m['mergedId']}": (m["primaryId"], m["mergedAt"])
                for m in dataset_records(world, "hubspot", "object_merges")}
    assert {m.split(":")[0] for m in expected} == {"deals", "companies"}
    stored = latest(dsn, "raw_hubspot.object_merges")
    assert {k: (v[2]["primaryId"], v[2]["mergedAt"]) for k, v in stored.items()} == expected
    # Nothing duplicated, on every stored row (latest() would hide a second version): the raw key is
    # (id, source_updated_at) with the version taken from mergedAt (ObjectMerges' RowSpec), and a merge
    # never changes, so each merge is exactly one row, versioned at the dataset's mergedAt.
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select id, source_updated_at, record->>'mergedAt' from raw_hubspot.object_merges"
                            ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(expected), "a merge stored twice, or one missing"
    assert all(r[1] == _instant(expected[r[0]][1]) and r[2] == expected[r[0]][1] for r in rows), rows


def test_merged_away_records_are_tombstoned_into_their_survivor(merged: tuple[Path, str, dict]) -> None:
    world, dsn, before = merged
    merges = dataset_records(world, "hubspot", "object_merges")
    tombstoned = 0
    for merge in merges:
        object_type, merged_id = merge["objectType"], merge["mergedId"]
        stored = latest(dsn, f"raw_hubspot.{object_type}")
        survivor = stored[merge["primaryId"]][2]
        assert merged_id in survivor["properties"]["hs_merged_object_ids"].split(";")
        if merged_id in stored:
            deleted, record = stored[merged_id][1], stored[merged_id][2]
            assert deleted and record["_merged_into"] == merge["primaryId"], merge
            tombstoned += 1
    # some duplicates were live (and loaded) before the advance merged them
    live_before = [m for m in merges if m["mergedId"] in before[m["objectType"]]]
    assert live_before and tombstoned >= len(live_before)
    # every live deal and company in raw is one the API still lists
    for object_type in ("deals", "companies"):
        listed = {r["id"] for r in dataset_records(world, "hubspot", object_type)}
        live = {i for i, v in latest(dsn, f"raw_hubspot.{object_type}").items() if not v[1]}
        assert live <= listed, object_type


def test_a_re_run_changes_nothing(merged: tuple[Path, str, dict], tmp_path: Path) -> None:
    world, dsn, _ = merged
    keep = snapshot(dsn)
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, objects=["deals", "companies", "object_merges"],
                          progress=False, options=TEST_OPTIONS)
    assert summary.ok and sum(o.versions_new for o in summary.objects) == 0
    assert snapshot(dsn) == keep
