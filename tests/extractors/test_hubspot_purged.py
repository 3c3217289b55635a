"""Issue 15 #3: HubSpot deals, companies and line items that are deleted (archived, restorable 90 days)
and then purged (gone from the API, the archived list included) end in raw as live versions, their
archived version, then one `_vanished` tombstone, found by the budgeted id reconciliation; the marts
count the deal as METRICS says (not an opportunity from its deletion on, `removed` in the waterfall).

`--mess heavy` world (knob `purged`) extracted with the real hubspot-api-client over HTTP while one
deal, one company and one line item at least are live, advanced past their deletion (extracted again:
the archived pass stores the archived versions) and past their purge (extracted, then reconciled)."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from extractors.run import extract, extract_object
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from sandbox.world.clock import DAY, INITIAL_CLOCK, parse_instant
from tests.oracle.history_oracle import History, monday
from tests.support.extract import TEST_OPTIONS, dataset_records, settings_for
from tests.support.warehouse import fetch
from tests.support.worlds import dbt_build, world_clock

SEED, PEOPLE = 2, 1000
#: the clock of the probe world whose archived records are picked: every one was deleted in the 90 days
#: before it, so none is purged yet there (2025-07-05)
PROBE_CLOCK = INITIAL_CLOCK - 180 * DAY
OBJECTS = ("deals", "companies", "line_items")
SELECT = ("+fct_opportunities", "+pipeline_snapshots", "+pipeline_waterfall", "+dim_companies")


def _plan(root: Path) -> tuple[int, dict[str, list[str]]]:
    """A first clock at which one deal, one company and one line item at least are live that the probe
    world has archived: (that clock, object -> those ids)."""
    probe = generate(seed=SEED, people=PEOPLE, out_dir=root / "probe", mess="heavy", clock=PROBE_CLOCK)
    archived = [(t, parse_instant(r["createdAt"]), parse_instant(r["archivedAt"]), r["id"])
                for t in OBJECTS for r in dataset_records(probe, "hubspot", t) if r["archived"]]
    for _t, created, _at, _id in sorted(archived, key=lambda a: a[1]):
        first = created + 3600
        chosen = {t: sorted(i for tt, c, at, i in archived if tt == t and c < first < at) for t in OBJECTS}
        if all(chosen.values()):
            return first, chosen
    raise AssertionError(f"seed {SEED}: no clock with a live deal, company and line item deleted before the probe")


def _versions(dsn: str, table: str) -> dict[str, list[tuple[datetime, bool, dict]]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"select id, source_updated_at, is_deleted, record from raw_hubspot.{table} "
                            "order by id, source_updated_at").fetchall()
    out: dict[str, list[tuple[datetime, bool, dict]]] = {}
    for rid, at, deleted, record in rows:
        out.setdefault(rid, []).append((at, deleted, record))
    return out


def _snap(world: Path, into: Path) -> Path:
    """What the CRMs served at this extraction (the history oracle reads one folder per extraction)."""
    for sub in ("salesforce", "hubspot"):
        shutil.copytree(world / sub, into / sub)
    return into


@pytest.fixture(scope="module")
def purged(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]) -> dict:
    root = tmp_path_factory.mktemp("purged")
    first, chosen = _plan(root)
    world = generate(seed=SEED, people=PEOPLE, out_dir=root / "w", mess="heavy", clock=first)
    dsn = make_database("hs_purged")
    state = root / "state"
    snaps, runs = [], {}
    # 1. everything live; 2. deleted: archived (not due: 24 h of wall time have not passed); 3. purged
    for step, days in (("live", 0.0), ("archived", (PROBE_CLOCK - first) / DAY), ("purged", 91.0)):
        if days:
            advance(world, days=days)
        with start_sandbox(world) as servers:
            summary = extract(settings_for(servers, state), dsn, progress=False, options=TEST_OPTIONS)
        assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
        runs[step] = {o.object: o for o in summary.objects if o.source == "hubspot"}
        snaps.append(_snap(world, root / f"snap_{step}"))
        if step != "purged":
            versions = {t: _versions(dsn, t) for t in OBJECTS}
            for t, ids in chosen.items():
                for i in ids:
                    _at, deleted, record = versions[t][i][-1]
                    assert deleted == (step == "archived") and "_hard_deleted" not in record, (step, t, i)
    raw_before = {t: _versions(dsn, t) for t in OBJECTS}
    with start_sandbox(world) as servers:
        settings = settings_for(servers, state)
        due = {t: extract_object(settings, dsn, "hubspot", t, options=replace(TEST_OPTIONS, hubspot_reconcile_hours=0))
               for t in OBJECTS}
        plain = {t: extract_object(settings, dsn, "hubspot", t, options=TEST_OPTIONS) for t in OBJECTS}
    dbt_build(dsn, world, root / "target", select=SELECT)
    as_of = datetime.fromisoformat(world_clock(world).replace("Z", "+00:00"))
    return {"world": world, "dsn": dsn, "chosen": chosen, "first": first, "runs": runs, "due": due,
            "plain": plain, "raw_before": raw_before, "raw": {t: _versions(dsn, t) for t in OBJECTS},
            "history": History(snaps, as_of)}


def _gone(world: Path, raw: dict[str, list], object_type: str) -> set[str]:
    """Stored ids the API serves no more, live or archived, and no merge took away."""
    served = {r["id"] for r in dataset_records(world, "hubspot", object_type)}
    merged = {m["mergedId"] for m in dataset_records(world, "hubspot", "object_merges")}
    return set(raw) - served - merged


def test_the_world_deletes_then_purges_a_deal_a_company_and_a_line_item(purged: dict) -> None:
    world = purged["world"]
    for object_type, ids in purged["chosen"].items():
        assert set(ids) <= _gone(world, purged["raw"][object_type], object_type), object_type


def test_the_reconciliation_not_due_writes_no_tombstone(purged: dict) -> None:
    # the purge happened before the third extraction, but 24 h of wall time had not passed
    for object_type in OBJECTS:
        assert purged["runs"]["purged"][object_type].tombstones == 0, object_type
        assert not any("_vanished" in v[2] for vs in purged["raw_before"][object_type].values() for v in vs)


def test_each_purged_record_gets_exactly_one_tombstone_after_its_archived_version(purged: dict) -> None:
    world = purged["world"]
    for object_type in OBJECTS:
        raw = purged["raw"][object_type]
        gone = _gone(world, raw, object_type)
        vanished = {i for i, vs in raw.items() if any("_vanished" in v[2] for v in vs)}
        assert vanished == gone, (object_type, sorted(vanished ^ gone)[:5])
        assert purged["due"][object_type].tombstones == len(gone), object_type
        for i in gone:
            *before, (at, deleted, record) = raw[i]
            assert deleted and record["_hard_deleted"] and record["_vanished"], (object_type, i)
            assert before and at > before[-1][0], (object_type, i)  # never before the version it ends
            assert not any("_hard_deleted" in v[2] for v in before), (object_type, i)  # one tombstone
            assert raw[i][:-1] == purged["raw_before"][object_type][i], "earlier versions untouched"
        for i in purged["chosen"][object_type]:
            kinds = ["live" if not d else "archived" if not r.get("_hard_deleted") else "vanished"
                     for _a, d, r in raw[i]]
            assert kinds[0] == "live" and kinds[-2:] == ["archived", "vanished"], (object_type, i, kinds)
            assert raw[i][-2][2]["archived"] is True, (object_type, i)


def test_nothing_else_is_lost_or_duplicated(purged: dict) -> None:
    world = purged["world"]
    for object_type in OBJECTS:
        raw = purged["raw"][object_type]
        served = {r["id"]: r for r in dataset_records(world, "hubspot", object_type)}
        latest = {i: vs[-1] for i, vs in raw.items()}
        assert set(served) <= set(raw), object_type
        for i, r in served.items():
            _at, deleted, record = latest[i]
            assert deleted == r["archived"] and "_hard_deleted" not in record, (object_type, i)
            props = {k: v for k, v in record["properties"].items() if v is not None}  # the API names unset ones
            assert record["updatedAt"] == r["updatedAt"] and props == r["properties"], (object_type, i)
        for i, vs in raw.items():
            times = [v[0] for v in vs]
            assert len(set(times)) == len(times), (object_type, i)
            assert all(a[2] != b[2] for a, b in zip(vs, vs[1:], strict=False)), ("a repeated version", object_type, i)
        # the re-run after the reconciliation changes nothing
        assert purged["plain"][object_type].versions_new == 0 and purged["plain"][object_type].tombstones == 0


def test_the_reconciliation_costs_one_list_call_per_100_live_ids(purged: dict) -> None:
    world = purged["world"]
    for object_type in OBJECTS:
        live = sum(1 for r in dataset_records(world, "hubspot", object_type) if not r["archived"])
        extra = purged["due"][object_type].api_calls - purged["plain"][object_type].api_calls
        assert extra == math.ceil(live / 100), (object_type, extra, live)


def test_the_purged_deal_is_no_opportunity_and_the_marts_match_the_truth(purged: dict) -> None:
    world, dsn = purged["world"], purged["dsn"]
    truth = {o["source_id"]: o for o in dataset_records(world, "truth", "opportunities")
             if o["source_system"] == "hubspot"}
    rows = {r["source_id"]: r for r in fetch(dsn, "select source_id, is_won, is_closed, product_family "
                                                  "from marts.fct_opportunities where source_system = 'hubspot'")}
    assert set(rows) == set(truth) and not set(purged["chosen"]["deals"]) & set(rows)
    assert {i: (r["is_won"], r["is_closed"], r["product_family"]) for i, r in rows.items()} == {
        i: (o["is_won"], o["is_closed"], o["product_family"] or "unspecified") for i, o in truth.items()}


def test_the_purged_deal_leaves_the_pipeline_in_its_deletion_week(purged: dict) -> None:
    dsn, history = purged["dsn"], purged["history"]
    expected = history.snapshots()
    waterfall = history.waterfall()
    for deal in purged["chosen"]["deals"]:
        archived = next(v for v in purged["raw"]["deals"][deal] if v[1] and not v[2].get("_hard_deleted"))
        deleted_week = monday(datetime.fromisoformat(archived[2]["archivedAt"].replace("Z", "+00:00")).date())
        weeks = sorted(w for w, o in expected if o == deal)
        rows = fetch(dsn, "select snapshot_week from marts.pipeline_snapshots where opportunity_id = %s "
                          "order by snapshot_week", (deal,))
        assert [r["snapshot_week"] for r in rows] == weeks and weeks, deal
        assert max(weeks) < deleted_week, "not in the pipeline from its deletion on"
        (row,) = fetch(dsn, "select removed_amount from marts.pipeline_waterfall where snapshot_week = %s",
                       (deleted_week,))
        assert float(row["removed_amount"]) == pytest.approx(waterfall[deleted_week].get("removed_amount", 0))
        assert waterfall[deleted_week].get("removed_amount", 0) > 0, "open when deleted: removed"


def test_the_purged_company_is_no_company_record(purged: dict) -> None:
    dsn = purged["dsn"]
    ids = purged["chosen"]["companies"]
    assert fetch(dsn, "select count(*) as n from intermediate.int_company_records "
                      "where source_system = 'hubspot' and source_id = any(%s)", (ids,)) == [{"n": 0}]
    # a company's duplicate deleted instead of merged: the company itself is still there, once
    for i in ids:
        real = str(int(i) - 600_000_000)
        assert fetch(dsn, "select count(*) as n from marts.dim_companies where hubspot_company_id = %s",
                     (real,)) == [{"n": 1}], i
