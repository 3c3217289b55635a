"""The real hubspot-api-client against the HubSpot emulator: lists, get_all, history, search, associations,
pipelines, properties, owners, marketing events, errors, rate limits and faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.contacts.exceptions import UnauthorizedException
from hubspot.crm.deals.exceptions import ServiceException

from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_get_page_and_get_all(hs: HubSpot, world: Path) -> None:
    contacts = read_jsonl(world / "hubspot" / "contacts.jsonl")
    live = [c for c in contacts if not c["archived"]]
    page = hs.crm.contacts.basic_api.get_page(limit=100, properties=["email", "lifecyclestage", "fh_segment"])
    assert len(page.results) == 100 and page.paging.next.after == page.results[-1].id
    assert set(page.results[0].properties) >= {"email", "lifecyclestage", "fh_segment", "createdate",
                                               "hs_object_id", "lastmodifieddate"}
    everything = hs.crm.contacts.get_all(properties=["email"])
    assert [c.id for c in everything] == [c["id"] for c in live]
    archived = hs.crm.contacts.basic_api.get_page(limit=100, archived=True)
    assert archived.results and all(c.archived for c in archived.results)
    calls = hs.crm.objects.get_all("calls", properties=["hs_call_duration", "hs_timestamp"])
    assert len(calls) == sum(not c["archived"] for c in read_jsonl(world / "hubspot" / "calls.jsonl"))
    assert all(c.properties["hs_call_duration"].isdigit() for c in calls)


def test_properties_with_history_matches_lifecycle_dates(hs: HubSpot) -> None:
    page = hs.crm.contacts.basic_api.get_page(
        limit=50, properties=["lifecyclestage", "hs_lifecyclestage_marketingqualifiedlead_date"],
        properties_with_history=["lifecyclestage", "recent_conversion_event_name"])
    checked = 0
    for c in page.results:
        history = c.properties_with_history["lifecyclestage"]
        mql = [h for h in history if h.value == "marketingqualifiedlead"]
        date = c.properties["hs_lifecyclestage_marketingqualifiedlead_date"]
        if mql:
            assert date and mql[0].timestamp.isoformat()[:19] == date[:19]
            checked += 1
        timestamps = [h.timestamp for h in history]
        assert timestamps == sorted(timestamps, reverse=True)
    assert checked > 0
    with pytest.raises(ContactsApiException) as err:
        hs.crm.contacts.basic_api.get_page(limit=100, properties_with_history=["lifecyclestage"])
    assert err.value.status == 400


def test_search_filters_sorts_paging_and_cap(hs: HubSpot, world: Path) -> None:
    contacts = [c for c in read_jsonl(world / "hubspot" / "contacts.jsonl") if not c["archived"]]
    since = "2025-06-01T00:00:00.000Z"
    want = sorted((c for c in contacts if c["updatedAt"] >= since), key=lambda c: (c["updatedAt"], int(c["id"])))
    got, after = [], "0"
    while after is not None:
        req = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                         "value": "1748736000000"}]}],
            sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], properties=["email"],
            limit=200, after=after)
        res = hs.crm.contacts.search_api.do_search(public_object_search_request=req)
        assert res.total == len(want)
        got += res.results
        after = res.paging.next.after if res.paging else None
    assert [c.id for c in got] == [c["id"] for c in want]
    deals = hs.crm.deals.search_api.do_search(public_object_search_request={
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "LT",
                                       "value": "2025-01-01T00:00:00Z"}]}], "limit": 5})
    assert all(d.updated_at.year < 2025 for d in deals.results)
    for bad in ({"limit": 201}, {"limit": 100, "after": "10000"}):
        with pytest.raises(ContactsApiException) as err:
            hs.crm.contacts.search_api.do_search(public_object_search_request=bad)
        assert err.value.status == 400 and json.loads(err.value.body)["category"] == "VALIDATION_ERROR"


def test_associations_v4_basic_and_batch(hs: HubSpot, world: Path) -> None:
    deals = read_jsonl(world / "hubspot" / "deals.jsonl")
    deal_id = deals[0]["id"]
    contacts = hs.crm.associations.v4.basic_api.get_page("deals", deal_id, "contacts")
    assert contacts.results and contacts.results[0].association_types[0].type_id == 3
    back = hs.crm.associations.v4.basic_api.get_page("contacts", contacts.results[0].to_object_id, "deals")
    assert deal_id in {r.to_object_id for r in back.results}
    batch = hs.crm.associations.v4.batch_api.get_page(
        "deals", "line_items", BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": d["id"]} for d in deals]))
    assert len(batch.results) == len(deals)
    listed = hs.crm.deals.basic_api.get_page(limit=5, associations=["contacts", "companies"])
    assert listed.results[0].associations["contacts"].results[0].type == "deal_to_contact"


def test_merged_contact_reads_as_survivor(hs: HubSpot, world: Path) -> None:
    merges = read_jsonl(world / "hubspot" / "contact_merges.jsonl")
    assert merges
    survivor = hs.crm.contacts.basic_api.get_by_id(merges[0]["mergedId"], properties=["hs_merged_object_ids"])
    assert survivor.id == merges[0]["primaryId"]
    assert merges[0]["mergedId"] in survivor.properties["hs_merged_object_ids"].split(";")


def test_pipelines_properties_owners(hs: HubSpot) -> None:
    pipelines = hs.crm.pipelines.pipelines_api.get_all(object_type="deals").results
    stages = {s.id: s.metadata for p in pipelines for s in p.stages}
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["appointmentscheduled"]["isClosed"] == "false"
    assert hs.crm.pipelines.pipeline_stages_api.get_all("deals", "default").results[0].id == "appointmentscheduled"
    props = {p.name: p for p in hs.crm.properties.core_api.get_all("contacts").results}
    assert props["fh_segment"].hubspot_defined is False and props["lifecyclestage"].type == "enumeration"
    assert "marketingqualifiedlead" in {o.value for o in props["lifecyclestage"].options}
    owners = hs.crm.owners.owners_api.get_page(limit=500).results
    assert owners and all(o.email.endswith("@funnelhouse.example") for o in owners)


def test_marketing_events_and_comma_properties(srv) -> None:  # noqa: ANN001
    s = requests.Session()
    s.trust_env = False
    s.headers["Authorization"] = f"Bearer {srv.token}"
    events = s.get(f"{srv.hubspot_url}/marketing/v3/marketing-events/", params={"limit": 100}).json()["results"]
    assert events and events[0]["externalEventId"].startswith("701")
    seen = 0
    for ev in events[:10]:
        parts = s.get(f"{srv.hubspot_url}/marketing/v3/marketing-events/participations/{ev['objectId']}/breakdown",
                      params={"limit": 100}).json()
        seen += parts["total"]
        for p in parts["results"]:
            assert p["associations"]["marketingEvent"]["name"] == ev["eventName"]
    assert seen > 0
    r = s.get(f"{srv.hubspot_url}/crm/v3/objects/contacts", params={"limit": 3, "properties": "email,lifecyclestage"})
    assert r.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert set(r.json()["results"][0]["properties"]) >= {"email", "lifecyclestage"}


def test_errors_rate_limits_and_faults(world: Path, srv, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(UnauthorizedException) as err:
        HubSpot(access_token="wrong", host=srv.hubspot_url).crm.contacts.basic_api.get_page(limit=1)
    assert err.value.status == 401
    with start_sandbox(world, faults=FaultConfig(hubspot_rate_limit=3, retry_after=None), tls_dir=tmp_path) as lim:
        client = HubSpot(access_token=lim.token, host=lim.hubspot_url)
        for _ in range(3):
            client.crm.contacts.basic_api.get_page(limit=1)
        with pytest.raises(ContactsApiException) as err:
            client.crm.contacts.basic_api.get_page(limit=1)
        assert err.value.status == 429
        body = json.loads(err.value.body)
        assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
        assert err.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    with start_sandbox(world, faults=FaultConfig(hubspot_search_rate_limit=2), tls_dir=tmp_path) as slow:
        client = HubSpot(access_token=slow.token, host=slow.hubspot_url)
        with pytest.raises(ContactsApiException) as err:
            for _ in range(5):
                client.crm.contacts.search_api.do_search(public_object_search_request={"limit": 1})
        assert err.value.status == 429 and json.loads(err.value.body)["policyName"] == "SECONDLY"
        assert "X-HubSpot-RateLimit-Remaining" not in err.value.headers
    with start_sandbox(world, faults=FaultConfig(error_rate=1.0, error_statuses=(500,)), tls_dir=tmp_path) as bad:
        with pytest.raises(ServiceException) as err:
            HubSpot(access_token=bad.token, host=bad.hubspot_url).crm.deals.basic_api.get_page(limit=1)
        assert err.value.status == 500
    with start_sandbox(world, faults=FaultConfig(drop_rate=1.0), tls_dir=tmp_path) as dropping:
        s = requests.Session()
        s.trust_env = False
        with pytest.raises(requests.exceptions.RequestException):
            s.get(f"{dropping.hubspot_url}/crm/v3/objects/contacts?limit=100",
                  headers={"Authorization": f"Bearer {dropping.token}"})
