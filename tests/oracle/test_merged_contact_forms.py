"""Issue 16 #2: a form conversion of a HubSpot contact that was later merged away counts for the survivor.

`--mess heavy` (knob `merged_reference`, drawn apart for forms): a duplicate contact fills in a form,
then is merged into its survivor. HubSpot keeps "the history of property values from both records" on
the survivor, so after the merge the survivor's `recent_conversion_event_name` history holds the
conversion too. The world is extracted while the duplicate is live (its conversion is stored on it),
advanced past the merge and extracted again with the real hubspot-api-client over HTTP. After
`dbt build`, both references resolve to the survivor's person: the duplicate's stored conversion
(int_touchpoints maps it through the merge) and the survivor's own history, one touch in
fct_touchpoints, the one the world's truth holds; the duplicate's email is no person with touches."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.world import generate
from sandbox.world.clock import parse_instant
from tests.support.extract import dataset_records, extract_before_and_after, latest
from tests.support.warehouse import fetch
from tests.support.worlds import dbt_build

PEOPLE = 400
SEED = 37


def _person(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


def _conversions(record: dict) -> list[dict]:
    return (record.get("propertiesWithHistory") or {}).get("recent_conversion_event_name") or []


def _pre_merge_world(root: Path) -> tuple[Path, dict, dict]:
    """The world the day before a contact merge whose duplicate already converted on a form: the world,
    the merge (from the merge log of the full world) and the duplicate's conversion."""
    probe = generate(seed=SEED, people=PEOPLE, out_dir=root / "probe", mess="heavy")
    merges = sorted(dataset_records(probe, "hubspot", "contact_merges"), key=lambda m: m["mergedAt"], reverse=True)
    for merge in merges[:12]:
        clock = parse_instant(merge["mergedAt"]) - 86_400
        world = generate(seed=SEED, people=PEOPLE, out_dir=root / f"w{merge['mergedId']}", mess="heavy", clock=clock)
        dup = next((c for c in dataset_records(world, "hubspot", "contacts") if c["id"] == merge["mergedId"]), None)
        if dup and _conversions(dup):
            return world, merge, _conversions(dup)[0]
    raise AssertionError(f"seed {SEED}: no duplicate contact converted on a form before its merge")


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]) -> dict:
    root = tmp_path_factory.mktemp("merged_forms")
    world, merge, conversion = _pre_merge_world(root)
    dsn = make_database("merged_forms")
    extract_before_and_after(world, dsn, root, parse_instant(merge["mergedAt"]))
    dbt_build(dsn, world, root / "target", select=("+fct_touchpoints",))
    survivor = next(c for c in dataset_records(world, "hubspot", "contacts") if c["id"] == merge["primaryId"])
    return {"world": world, "dsn": dsn, "merge": merge, "conversion": conversion, "survivor": survivor,
            "at_ms": int(parse_instant(conversion["timestamp"]) * 1000)}


def test_raw_holds_the_conversion_on_the_duplicate_and_in_the_survivors_history(merged: dict) -> None:
    merge, conversion = merged["merge"], merged["conversion"]
    contacts = latest(merged["dsn"], "raw_hubspot.contacts")
    _at, deleted, dup = contacts[merge["mergedId"]]
    assert deleted and dup["_merged_into"] == merge["primaryId"], "the duplicate is a merge tombstone"
    assert conversion["value"] in [h["value"] for h in _conversions(dup)], "stored before the merge"
    _at, deleted, survivor = contacts[merge["primaryId"]]
    assert not deleted and (conversion["value"], conversion["timestamp"]) in [
        (h["value"], h["timestamp"]) for h in _conversions(survivor)], "the merge brought the history in"


def test_the_duplicates_stored_conversion_is_a_touch_of_the_survivors_person(merged: dict) -> None:
    merge, at_ms = merged["merge"], merged["at_ms"]
    rows = fetch(merged["dsn"], "select touchpoint_id, person_id from intermediate.int_touchpoints "
                                "where touch_type = 'form_conversion' and touchpoint_id = any(%s)",
                 ([f"hs_form:{merge['mergedId']}:{at_ms}", f"hs_form:{merge['primaryId']}:{at_ms}"],))
    person = _person(merged["survivor"]["properties"]["email"])
    assert sorted(r["touchpoint_id"] for r in rows) == sorted(
        [f"hs_form:{merge['mergedId']}:{at_ms}", f"hs_form:{merge['primaryId']}:{at_ms}"])
    assert {r["person_id"] for r in rows} == {person}


def test_one_touch_in_the_mart_as_the_truth_has_it(merged: dict) -> None:
    merge, at_ms, dsn = merged["merge"], merged["at_ms"], merged["dsn"]
    email = merged["survivor"]["properties"]["email"].strip().lower()
    truth = [t for t in dataset_records(merged["world"], "truth", "touches")
             if t["person_key"] == email and t["touch_type"] == "form_conversion"
             and int(parse_instant(t["touched_at"]) * 1000) == at_ms]
    assert len(truth) == 1 and truth[0]["touchpoint_id"] == f"hs_form:{merge['primaryId']}:{at_ms}", truth
    rows = fetch(dsn, "select touchpoint_id, campaign_id, channel from marts.fct_touchpoints "
                      "where person_id = %s and touched_at = to_timestamp(%s / 1000.0)",
                 (_person(email), at_ms))
    assert rows == [{"touchpoint_id": truth[0]["touchpoint_id"], "campaign_id": truth[0]["campaign_id"],
                     "channel": truth[0]["channel"]}]
    dup_person = _person(merge["mergedEmail"])
    assert fetch(dsn, "select count(*) as n from marts.fct_touchpoints where person_id = %s", (dup_person,)) == [
        {"n": 0}], "the merged-away contact is no person of its own"
