"""Issue 16 #2: a HubSpot deal associated with a contact that was later merged away counts for the survivor.

`--mess heavy` (knob `merged_reference`): the AE who opens a deal creates the buyer again under another
address and associates the deal with that duplicate contact; at the merge HubSpot moves the association
to the survivor. The world is extracted the day before the merge, advanced past it and extracted again
with the real hubspot-api-client over HTTP, every object but the associations (as in
test_merged_references.py: a DAG's associations task can fail or lag, the rotating refresh re-reads only
a slice), so raw still holds deal -> merged-away contact and no pair naming the survivor. After
`dbt build` (int_hubspot_associations maps the pair through int_hubspot_contact_merges) the deal is the
survivor's opportunity exactly as the world's truth says: its people (fct_opportunity_people) and the
touches its attribution credits (attribution_touchpoint_credit)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.world import generate
from sandbox.world.clock import parse_instant
from tests.support.extract import dataset_records, extract_before_and_after, latest
from tests.support.warehouse import fetch
from tests.support.worlds import dbt_build, world_clock

PEOPLE = 400
SEED = 8  # its first deal naming a duplicate contact is in May 2024: a small world to extract
LOOKBACK = 365 * 86_400  # dbt var attribution_lookback_days


def _person(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


def _deal_contacts(world: Path) -> dict[str, set[str]]:
    """deal id -> the contacts its associations name in the world as rendered now."""
    out: dict[str, set[str]] = {}
    for a in dataset_records(world, "hubspot", "associations"):
        if a["fromObjectType"] == "deals" and a["toObjectType"] == "contacts":
            out.setdefault(a["fromObjectId"], set()).add(a["toObjectId"])
    return out


def _pre_merge_world(root: Path) -> tuple[Path, dict, list[str]]:
    """The world the day before the first contact merge whose duplicate a deal is associated with: the
    world, the merge (from the merge log of the full world) and the deals naming the duplicate."""
    probe = generate(seed=SEED, people=PEOPLE, out_dir=root / "probe", mess="heavy")
    for merge in sorted(dataset_records(probe, "hubspot", "contact_merges"), key=lambda m: m["mergedAt"]):
        world = generate(seed=SEED, people=PEOPLE, out_dir=root / "w", mess="heavy",
                         clock=parse_instant(merge["mergedAt"]) - 86_400)
        deals = sorted(d for d, contacts in _deal_contacts(world).items() if merge["mergedId"] in contacts)
        if deals:
            return world, merge, deals
    raise AssertionError(f"seed {SEED}: the knob produced no deal associated with a live duplicate contact")


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]) -> dict:
    root = tmp_path_factory.mktemp("merged_deal_contacts")
    world, merge, deals = _pre_merge_world(root)
    before = _deal_contacts(world)
    dsn = make_database("merged_deal_contacts")
    # Every object again but the associations: raw keeps the pairs read before the merge, and only the
    # merge log (contact_merges, the survivor's hs_merged_object_ids) says where they belong.
    extract_before_and_after(world, dsn, root, parse_instant(merge["mergedAt"]), hubspot_skip=("associations",))
    dbt_build(dsn, world, root / "target", select=("+attribution_touchpoint_credit",))
    truth = {o["source_id"]: o for o in dataset_records(world, "truth", "opportunities")
             if o["source_system"] == "hubspot"}
    survivor = next(c for c in dataset_records(world, "hubspot", "contacts") if c["id"] == merge["primaryId"])
    return {"world": world, "dsn": dsn, "merge": merge, "deals": deals, "before": before, "truth": truth,
            "survivor_person": _person(survivor["properties"]["email"]),
            "clock": parse_instant(world_clock(world))}


def test_the_world_names_the_duplicate_before_the_merge_and_the_survivor_after(merged: dict) -> None:
    merge, deals = merged["merge"], merged["deals"]
    assert {d: merged["before"][d] for d in deals} == {d: {merge["mergedId"]} for d in deals}
    after = _deal_contacts(merged["world"])
    assert {d: after[d] for d in deals} == {d: {merge["primaryId"]} for d in deals}


def test_raw_still_holds_the_deal_contact_pair_naming_the_merged_away_contact(merged: dict) -> None:
    merge, dsn = merged["merge"], merged["dsn"]
    live = {(rec["fromObjectId"], rec["toObjectId"]) for _ts, deleted, rec in
            latest(dsn, "raw_hubspot.associations").values()
            if not deleted and rec.get("fromObjectType") == "deals" and rec.get("toObjectType") == "contacts"}
    for deal in merged["deals"]:
        assert {c for d, c in live if d == deal} == {merge["mergedId"]}, "the stale pair, and only it, is in raw"
    _ts, deleted, dup = latest(dsn, "raw_hubspot.contacts")[merge["mergedId"]]
    assert deleted and dup["_merged_into"] == merge["primaryId"], "the duplicate is a merge tombstone"


def test_the_association_names_the_surviving_contact(merged: dict) -> None:
    merge, dsn = merged["merge"], merged["dsn"]
    rows = fetch(dsn, "select from_id, to_id from intermediate.int_hubspot_associations "
                      "where from_object_type = 'deal' and to_object_type = 'contact' and from_id = any(%s)",
                 (merged["deals"],))
    assert {(r["from_id"], r["to_id"]) for r in rows} == {(d, merge["primaryId"]) for d in merged["deals"]}
    assert fetch(dsn, "select count(*) as n from intermediate.int_hubspot_associations where %s in (from_id, to_id)",
                 (merge["mergedId"],)) == [{"n": 0}]


def test_the_deals_people_are_the_truths(merged: dict) -> None:
    truth, dsn = merged["truth"], merged["dsn"]
    for deal in merged["deals"]:
        expected = {_person(k) for k in truth[deal]["person_keys"]}
        assert expected == {merged["survivor_person"]}, truth[deal]
        rows = fetch(dsn, "select person_id, is_primary from marts.fct_opportunity_people where opportunity_id = %s",
                     (deal,))
        assert [(r["person_id"], r["is_primary"]) for r in rows] == [(merged["survivor_person"], True)]
    dup_person = _person(merged["merge"]["mergedEmail"])
    assert fetch(dsn, "select count(*) as n from marts.fct_opportunity_people where person_id = %s",
                 (dup_person,)) == [{"n": 0}], "the merged-away contact is no person of the deal"


def test_the_deals_attribution_credits_the_survivors_touches_as_the_truth_has_them(merged: dict) -> None:
    truth, dsn = merged["truth"], merged["dsn"]
    touches = dataset_records(merged["world"], "truth", "touches")
    for deal in merged["deals"]:
        opp = truth[deal]
        start = parse_instant(opp["created_at"]) - LOOKBACK
        end = parse_instant(opp["closed_at"]) if opp["is_closed"] else merged["clock"]
        expected = {t["touchpoint_id"] for t in touches
                    if t["person_key"] in opp["person_keys"] and start <= parse_instant(t["touched_at"]) <= end}
        assert expected, f"the survivor has no touch in deal {deal}'s window: the check would be empty"
        rows = fetch(dsn, "select distinct touchpoint_id, person_id from marts.attribution_touchpoint_credit "
                          "where opportunity_id = %s", (deal,))
        assert {r["touchpoint_id"] for r in rows} == expected
        assert {r["person_id"] for r in rows} == {merged["survivor_person"]}
