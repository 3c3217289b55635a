"""Passthrough on a real-org world (issue 16 #6 under `--mess heavy`): the heavy Salesforce org's formula
field `Opportunity.Days_Open__c` (knob `formula_fields`: calculated, it moves without SystemModstamp) carried
into fct_opportunities as a typed passthrough column. Extract and build; `sandbox advance`; extract again with
the formula refresh due and build incrementally: the column holds the value the emulator serves now for every
live opportunity (the formula refresh's versions reach the mart through the incremental models), and equals a
--full-refresh build. Real simple-salesforce / hubspot-api-client over HTTP, real dbt."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.extract import TEST_OPTIONS, dataset_records, extract_world
from tests.support.warehouse import fetch
from tests.support.worlds import dbt_build

VARS = {"opportunity_passthrough_fields": {"salesforce": [
    {"field": "Days_Open__c", "column": "days_open", "type": "integer"},
    {"field": "Segment__c", "column": "deal_segment"}]}}
SELECT = ("+fct_opportunities",)
QUERY = ("select opportunity_id, days_open, deal_segment from marts.fct_opportunities "
         "where source_system = 'salesforce' order by 1")


def _served(dataset) -> dict[str, dict]:
    return {r["Id"]: r for r in dataset_records(dataset, "salesforce", "Opportunity") if not r["IsDeleted"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_database) -> dict:
    from sandbox.world import advance, generate

    root = tmp_path_factory.mktemp("passthrough_heavy")
    dataset = generate(seed=59, people=400, out_dir=root / "w", mess="heavy")
    dsn = make_database("passthrough_heavy")
    extract_world(dataset, dsn, root / "state", TEST_OPTIONS)
    dbt_build(dsn, dataset, root / "target", SELECT, vars=VARS)
    first = {r["opportunity_id"]: r for r in fetch(dsn, QUERY)}
    served_first = _served(dataset)
    advance(dataset, 5)
    extract_world(dataset, dsn, root / "state", replace(TEST_OPTIONS, formula_refresh_hours=0))
    dbt_build(dsn, dataset, root / "target", SELECT, vars=VARS)
    incremental = fetch(dsn, QUERY)
    dbt_build(dsn, dataset, root / "target", SELECT, vars=VARS, full_refresh=True)
    return {"dataset": dataset, "first": first, "served_first": served_first, "incremental": incremental,
            "full": fetch(dsn, QUERY)}


def test_the_first_build_carries_the_formula_as_served(built: dict) -> None:
    served = built["served_first"]
    assert {i: r["days_open"] for i, r in built["first"].items()} == {i: served[i]["Days_Open__c"] for i in served}
    assert all(isinstance(r["days_open"], int) for r in built["first"].values())


def test_after_advance_the_mart_holds_the_formula_the_api_serves_now(built: dict) -> None:
    served = _served(built["dataset"])
    got = {r["opportunity_id"]: r for r in built["incremental"]}
    assert {i: r["days_open"] for i, r in got.items()} == {i: served[i]["Days_Open__c"] for i in served}
    assert {i: r["deal_segment"] for i, r in got.items()} == {i: served[i].get("Segment__c") for i in served}
    # the formula moved for open opportunities whose record did not change (what the knob is for)
    before = built["served_first"]
    moved = [i for i in served if i in before and served[i]["SystemModstamp"] == before[i]["SystemModstamp"]
             and served[i]["Days_Open__c"] != before[i]["Days_Open__c"]]
    assert len(moved) >= 3 and all(got[i]["days_open"] != built["first"][i]["days_open"] for i in moved)


def test_incremental_equals_full_refresh(built: dict) -> None:
    assert built["incremental"] == built["full"]
