"""The emulators serve a user-supplied folder of JSON/CSV files (no world.json, no generator)."""

from __future__ import annotations

import json
from pathlib import Path

from hubspot import HubSpot

from sandbox.server import start_sandbox
from tests.support.sandbox import salesforce_client


def test_serves_a_hand_made_export(tmp_path: Path) -> None:
    root = tmp_path / "export"
    (root / "salesforce").mkdir(parents=True)
    (root / "hubspot").mkdir()
    (root / "salesforce" / "Lead.csv").write_text(
        "Id,IsDeleted,Email,Status,CreatedDate,SystemModstamp,Favourite_Colour__c\n"
        "00Q000000000001AAA,false,a@x.io,Open - Not Contacted,2024-02-01T10:00:00.000+0000,"
        "2024-02-02T10:00:00.000+0000,blue\n"
        "00Q000000000002AAA,true,b@x.io,Marketing Qualified,2024-03-01T10:00:00Z,"
        "2024-03-05T10:00:00.000+0000,\n", encoding="utf-8")
    contact = {"id": "7", "properties": {"email": "c@y.io", "lifecyclestage": "lead"},
               "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-04-01T00:00:00.000Z", "archived": False}
    (root / "hubspot" / "contacts.jsonl").write_text(json.dumps(contact) + "\n", encoding="utf-8")
    (root / "hubspot" / "deals.csv").write_text(
        "id,createdAt,updatedAt,archived,dealname,dealstage,amount\n"
        "42,2024-02-01T00:00:00Z,2024-02-03T00:00:00Z,false,Big deal,closedwon,1000\n", encoding="utf-8")
    with start_sandbox(root, tls_dir=tmp_path / "tls") as srv:
        assert srv.clock == "2024-04-01T00:00:00.000Z"
        sf = salesforce_client(srv)
        rows = sf.query_all("SELECT Id, Email, Favourite_Colour__c FROM Lead")["records"]
        assert [(r["Email"], r["Favourite_Colour__c"]) for r in rows] == [("a@x.io", "blue")]
        both = sf.query_all("SELECT Id, CreatedDate FROM Lead WHERE CreatedDate >= 2024-03-01T10:00:00Z",
                            include_deleted=True)["records"]
        assert [r["CreatedDate"] for r in both] == ["2024-03-01T10:00:00.000+0000"]
        fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
        assert fields["Favourite_Colour__c"]["custom"] is True
        assert sf.query_all("SELECT Id FROM Opportunity")["totalSize"] == 0
        hs = HubSpot(access_token=srv.token, host=srv.hubspot_url)
        got = hs.crm.contacts.get_all(properties=["email", "lifecyclestage"])
        assert [(c.id, c.properties["email"]) for c in got] == [("7", "c@y.io")]
        deals = hs.crm.deals.get_all(properties=["dealname", "amount"])
        assert [(d.id, d.properties["amount"], d.properties["hs_lastmodifieddate"]) for d in deals] == [
            ("42", "1000", "2024-02-03T00:00:00.000Z")]
