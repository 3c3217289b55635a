"""Passthrough fields (vars people_passthrough_fields / opportunity_passthrough_fields): custom fields the
sandbox world's records carry (Salesforce Segment__c on leads, contacts and opportunities, HubSpot fh_segment
on contacts) and standard fields no mart maps (HubSpot closed_lost_reason, Salesforce Probability as a typed
number) reach dim_people / fct_opportunities as typed columns, valued as the records the emulators served
(the dataset files) and the generator's ground truth say."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.attribution import truth  # noqa: E402
from tests.support.compare import close  # noqa: E402
from tests.support.worlds import BuiltWorld  # noqa: E402

VARS = {
    "people_passthrough_fields": {"salesforce": [{"field": "Segment__c", "column": "crm_segment"}],
                                  "hubspot": [{"field": "fh_segment", "column": "crm_segment", "type": "text"}]},
    "opportunity_passthrough_fields": {
        "salesforce": [{"field": "Segment__c", "column": "deal_segment"},
                       {"field": "Probability", "column": "probability_pct", "type": "numeric"},
                       {"field": "IsWon", "column": "crm_won", "type": "boolean"},
                       {"field": "CloseDate", "column": "crm_close_date", "type": "date"},
                       {"field": "CreatedDate", "column": "crm_created_at", "type": "timestamptz"}],
        "hubspot": [{"field": "closed_lost_reason", "column": "lost_reason"},
                    {"field": "hs_is_closed_won", "column": "crm_won", "type": "boolean"},
                    {"field": "createdate", "column": "crm_created_at", "type": "timestamptz"}]},
}
SELECT = ("+dim_people", "+fct_opportunities")


@pytest.fixture(scope="module")
def world(worlds) -> BuiltWorld:
    return worlds.built(11, 700, "default", select=SELECT, vars=VARS)


def read(world: BuiltWorld, rel: str) -> list[dict]:
    return [json.loads(line) for line in (world.dataset / rel).read_text().splitlines() if line.strip()]


def test_columns_are_typed(world: BuiltWorld):
    types = {(r["table_name"], r["column_name"]): r["data_type"] for r in world.fetch(
        "select table_name, column_name, data_type from information_schema.columns where table_schema = 'marts' "
        "and table_name in ('dim_people', 'fct_opportunities')")}
    assert types[("dim_people", "crm_segment")] == "text"
    assert types[("fct_opportunities", "deal_segment")] == "text"
    assert types[("fct_opportunities", "probability_pct")] == "numeric"
    assert types[("fct_opportunities", "lost_reason")] == "text"
    assert types[("fct_opportunities", "crm_won")] == "boolean"
    assert types[("fct_opportunities", "crm_close_date")] == "date"
    assert types[("fct_opportunities", "crm_created_at")] == "timestamp with time zone"
    # the contract's own columns are still there, with their types
    assert types[("dim_people", "person_id")] == "text" and types[("fct_opportunities", "amount")] == "numeric"


def test_people_passthrough(world: BuiltWorld):
    segment = {p["email_sha256"]: p["segment"] for p in truth.read(world.dataset, "people")}
    rows = world.fetch("select email_hash, crm_segment from marts.dim_people")
    assert rows and sum(1 for r in rows if r["crm_segment"]) > 0.9 * len(rows)
    bad = [(r["email_hash"], r["crm_segment"], segment.get(r["email_hash"])) for r in rows
           if r["crm_segment"] is not None and r["crm_segment"] != segment.get(r["email_hash"])]
    assert not bad, bad[:5]


def test_opportunity_passthrough(world: BuiltWorld):
    sf = {r["Id"]: r for r in read(world, "salesforce/Opportunity.jsonl") if not r["IsDeleted"]}
    hs = {r["id"]: r["properties"] for r in read(world, "hubspot/deals.jsonl") if not r.get("archived")}
    rows = world.fetch("select opportunity_id, source_system, deal_segment, probability_pct, lost_reason "
                       "from marts.fct_opportunities")
    assert {r["opportunity_id"] for r in rows} == set(sf) | set(hs)
    for r in rows:
        if r["source_system"] == "salesforce":
            rec = sf[r["opportunity_id"]]
            assert r["deal_segment"] == rec.get("Segment__c") and r["lost_reason"] is None, r
            assert close(r["probability_pct"], rec["Probability"]), r
        else:
            props = hs[r["opportunity_id"]]
            assert r["deal_segment"] is None and r["probability_pct"] is None, r
            assert r["lost_reason"] == (props.get("closed_lost_reason") or None), r
    assert any(r["lost_reason"] for r in rows) and any(r["deal_segment"] for r in rows)


def test_bad_entry_fails_naming_it(world: BuiltWorld):
    bad = {"opportunity_passthrough_fields": {"salesforce": [{"field": "Segment__c", "type": "money"}]}}
    with pytest.raises(RuntimeError, match="field Segment__c has type 'money'; use one of text, numeric"):
        world.dbt(["compile", "--select", "int_opportunity_passthrough"], vars=bad)


def _instant(text: str) -> datetime:
    """An API datetime (Salesforce `...+0000`, HubSpot `...Z`) as an aware datetime."""
    return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def test_boolean_date_and_timestamptz_passthrough(world: BuiltWorld):
    """The API's boolean (JSON true/false from Salesforce, "true"/"false" strings from HubSpot), date and
    datetime texts arrive as those PostgreSQL types, equal to what the emulators served; a column only
    Salesforce names is null on HubSpot rows."""
    sf = {r["Id"]: r for r in read(world, "salesforce/Opportunity.jsonl") if not r["IsDeleted"]}
    hs = {r["id"]: r["properties"] for r in read(world, "hubspot/deals.jsonl") if not r.get("archived")}
    rows = world.fetch("select opportunity_id, source_system, crm_won, crm_close_date, crm_created_at "
                       "from marts.fct_opportunities")
    bad = []
    for r in rows:
        if r["source_system"] == "salesforce":
            rec = sf[r["opportunity_id"]]
            want = (rec["IsWon"], date.fromisoformat(rec["CloseDate"]), _instant(rec["CreatedDate"]))
        else:
            props = hs[r["opportunity_id"]]
            want = ({"true": True, "false": False}.get(props.get("hs_is_closed_won")), None,
                    _instant(props["createdate"]))
        if (r["crm_won"], r["crm_close_date"], r["crm_created_at"]) != want:
            bad.append((r, want))
    assert not bad, bad[:3]
    assert {r["crm_won"] for r in rows} == {True, False}
    assert {r["source_system"] for r in rows} == {"salesforce", "hubspot"}
