"""Ground truth agrees with what the emulators serve (read back through the real clients)."""

from __future__ import annotations

import json
from pathlib import Path

from hubspot import HubSpot
from simple_salesforce import Salesforce


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def iso(sf_datetime: str) -> str:
    return sf_datetime.replace("+0000", "Z")


def test_people_and_stages_match_the_apis(sf: Salesforce, hs: HubSpot, world: Path) -> None:
    truth = {p["person_key"]: p for p in read_jsonl(world / "truth" / "people.jsonl")}
    leads = list(sf.query_all_iter("SELECT Id, Email, CreatedDate FROM Lead"))
    contacts = list(sf.query_all_iter("SELECT Id, Email, CreatedDate FROM Contact"))
    hs_contacts = hs.crm.contacts.get_all(properties=["email", "hs_lifecyclestage_lead_date",
                                                      "hs_lifecyclestage_subscriber_date",
                                                      "hs_lifecyclestage_marketingqualifiedlead_date"])
    keys = {r["Email"].strip().lower() for r in leads + contacts} | {
        c.properties["email"].strip().lower() for c in hs_contacts}
    assert keys == set(truth)
    lead_email = {r["Id"]: r["Email"].strip().lower() for r in leads}
    first_mql: dict[str, str] = {}
    for h in sf.query_all_iter("SELECT LeadId, NewValue, CreatedDate FROM LeadHistory WHERE Field = 'Status' "
                               "ORDER BY CreatedDate"):
        if h["NewValue"] == "Marketing Qualified" and h["LeadId"] in lead_email:
            first_mql.setdefault(lead_email[h["LeadId"]], iso(h["CreatedDate"]))
    sf_only = [p for p in truth.values() if p["systems"] == ["salesforce"]]
    assert sf_only
    for p in sf_only:
        if p["person_key"] in first_mql:
            assert p["stages"]["mql"] == first_mql[p["person_key"]] and not p["inferred"]["mql"]
    for c in hs_contacts:
        p = truth[c.properties["email"].strip().lower()]
        if p["systems"] == ["hubspot"]:
            lead = min(d for d in (c.properties["hs_lifecyclestage_lead_date"],
                                   c.properties["hs_lifecyclestage_subscriber_date"]) if d)
            assert p["stages"]["lead"] == lead


def test_opportunities_match_the_apis(sf: Salesforce, hs: HubSpot, world: Path) -> None:
    truth = {o["source_id"]: o for o in read_jsonl(world / "truth" / "opportunities.jsonl")}
    opps = list(sf.query_all_iter("SELECT Id, Amount, IsWon, StageName FROM Opportunity"))
    deals = hs.crm.deals.get_all(properties=["amount", "dealstage", "hs_is_closed_won"])
    assert {o["Id"] for o in opps} | {d.id for d in deals} == set(truth)
    for o in opps:
        assert truth[o["Id"]]["is_won"] == o["IsWon"] and truth[o["Id"]]["amount"] == o["Amount"]
    for d in deals:
        assert truth[d.id]["is_won"] == (d.properties["hs_is_closed_won"] == "true")
        assert truth[d.id]["amount"] == float(d.properties["amount"])


def test_touches_match_campaign_members(sf: Salesforce, world: Path) -> None:
    touches = [t for t in read_jsonl(world / "truth" / "touches.jsonl") if t["source_system"] == "salesforce"]
    members = list(sf.query_all_iter("SELECT Id, CampaignId, HasResponded FROM CampaignMember "
                                     "WHERE HasResponded = TRUE"))
    assert len(touches) <= len(members)
    assert {t["campaign_id"] for t in touches} <= {m["CampaignId"] for m in members}
    campaigns = {c["Id"]: c for c in sf.query_all("SELECT Id, Name, Type FROM Campaign")["records"]}
    assert all(campaigns[t["campaign_id"]]["Name"] == t["campaign_name"] for t in touches)
