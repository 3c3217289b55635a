"""Referential integrity of a generated world (what dbt relationship tests will rely on)."""

from __future__ import annotations

import json
from pathlib import Path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_salesforce_references_resolve(world: Path) -> None:
    sf = {p.stem: read_jsonl(p) for p in (world / "salesforce").glob("*.jsonl")}
    ids = {obj: {r["Id"] for r in rows} for obj, rows in sf.items()}
    people = ids["Lead"] | ids["Contact"]
    checks = [("CampaignMember", "CampaignId", ids["Campaign"]), ("CampaignMember", "LeadOrContactId", people),
              ("Task", "WhoId", people), ("Event", "WhoId", people), ("Task", "OwnerId", ids["User"]),
              ("Task", "WhatId", ids["Opportunity"]), ("Opportunity", "AccountId", ids["Account"]),
              ("Opportunity", "CampaignId", ids["Campaign"]), ("Opportunity", "OwnerId", ids["User"]),
              ("OpportunityContactRole", "OpportunityId", ids["Opportunity"]),
              ("OpportunityContactRole", "ContactId", ids["Contact"]),
              ("OpportunityHistory", "OpportunityId", ids["Opportunity"]),
              ("OpportunityLineItem", "OpportunityId", ids["Opportunity"]),
              ("OpportunityLineItem", "Product2Id", ids["Product2"]), ("LeadHistory", "LeadId", ids["Lead"]),
              ("Lead", "ConvertedOpportunityId", ids["Opportunity"]), ("Lead", "ConvertedContactId", ids["Contact"]),
              ("Lead", "OwnerId", ids["User"]), ("Contact", "AccountId", ids["Account"]),
              ("User", "UserRoleId", ids["UserRole"]), ("Account", "OwnerId", ids["User"])]
    for obj, field, targets in checks:
        dangling = {r[field] for r in sf[obj] if r.get(field)} - targets
        assert not dangling, f"{obj}.{field} -> {sorted(dangling)[:3]}"
    for obj, rows in sf.items():
        assert len({r["Id"] for r in rows}) == len(rows), f"duplicate ids in {obj}"
        for r in rows:
            if "SystemModstamp" in r and "CreatedDate" in r:
                assert r["CreatedDate"] <= r["SystemModstamp"], (obj, r["Id"])


def test_hubspot_references_resolve(world: Path) -> None:
    hs = {p.stem: read_jsonl(p) for p in (world / "hubspot").glob("*.jsonl")}
    ids = {t: {o["id"] for o in hs[t]} for t in ("contacts", "companies", "deals", "line_items", "calls", "emails",
                                                 "meetings")}
    for a in hs["associations"]:
        assert a["fromObjectId"] in ids[a["fromObjectType"]] and a["toObjectId"] in ids[a["toObjectType"]], a
    owners = {o["id"] for o in hs["owners"]}
    for t in ("contacts", "deals", "calls", "emails", "meetings"):
        assert {o["properties"]["hubspot_owner_id"] for o in hs[t] if o["properties"].get("hubspot_owner_id")} <= owners
    events = {e["objectId"] for e in hs["marketing_events"]}
    assert {p["marketingEventId"] for p in hs["marketing_event_participations"]} <= events
    assert {p["contactId"] for p in hs["marketing_event_participations"]} <= ids["contacts"]
    pipelines = json.loads((world / "hubspot" / "pipelines.json").read_text())["deals"]
    stages = {s["id"] for p in pipelines for s in p["stages"]}
    assert {d["properties"]["dealstage"] for d in hs["deals"]} <= stages
    campaigns = {c["name"] for c in read_jsonl(world / "truth" / "campaigns.jsonl")}
    assert {c["properties"]["recent_conversion_event_name"] for c in hs["contacts"]
            if c["properties"].get("recent_conversion_event_name")} <= campaigns
    assert {e["eventName"] for e in hs["marketing_events"]} <= campaigns
