"""The real simple-salesforce against the Salesforce emulator: query/queryAll paging, describe, deleted/updated,
bulk 2.0, limits, errors with the client's real exception classes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from tests.support.sandbox import salesforce_client

UTC = dt.UTC


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_query_all_iter_pages_with_batch_size(sf: Salesforce, world: Path) -> None:
    leads = [r for r in read_jsonl(world / "salesforce" / "Lead.jsonl") if not r["IsDeleted"]]
    got = list(sf.query_all_iter("SELECT Id, Email, Status, SystemModstamp FROM Lead",
                                 headers={"Sforce-Query-Options": "batchSize=200"}))
    assert len(got) == len(leads) > 400
    assert [r["Id"] for r in got] == sorted(r["Id"] for r in leads)
    assert got[0]["attributes"]["type"] == "Lead" and list(got[0])[1:] == ["Id", "Email", "Status", "SystemModstamp"]
    first = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"})
    assert first["done"] is False and first["totalSize"] == len(leads) and len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")


def test_query_all_remembers_include_deleted(sf: Salesforce, world: Path) -> None:
    rows = read_jsonl(world / "salesforce" / "Lead.jsonl")
    got = list(sf.query_all_iter("SELECT Id, IsDeleted FROM Lead", include_deleted=True,
                                 headers={"Sforce-Query-Options": "batchSize=200"}))
    assert len(got) == len(rows)
    assert sum(r["IsDeleted"] for r in got) == sum(r["IsDeleted"] for r in rows) > 0
    deleted = sf.query_all("SELECT Id FROM Lead WHERE IsDeleted = TRUE", include_deleted=True)
    assert deleted["totalSize"] == sum(r["IsDeleted"] for r in rows)


def test_where_order_limit(sf: Salesforce, world: Path) -> None:
    rows = [r for r in read_jsonl(world / "salesforce" / "Opportunity.jsonl") if not r["IsDeleted"]]
    cut = "2025-01-01T00:00:00.000+0000"
    want = sorted((r for r in rows if r["SystemModstamp"] >= cut), key=lambda r: (r["SystemModstamp"], r["Id"]))
    got = sf.query_all("SELECT Id, SystemModstamp, Amount, Probability, IsWon FROM Opportunity "
                       "WHERE SystemModstamp >= 2025-01-01T00:00:00Z AND CreatedDate < 2026-01-01T00:00:00+00:00 "
                       "ORDER BY SystemModstamp ASC, Id LIMIT 50")["records"]
    assert [r["Id"] for r in got] == [r["Id"] for r in want[:50]]
    assert all(isinstance(r["Probability"], (int, float)) and 0 <= r["Probability"] <= 100 for r in got)
    count = sf.query("SELECT COUNT() FROM Opportunity WHERE StageName = 'Closed Won'")
    assert count["totalSize"] == sum(r["StageName"] == "Closed Won" for r in rows)


@pytest.mark.parametrize(("soql", "code", "words"), [
    ("SELECT Status, COUNT(Id) FROM Lead GROUP BY Status", "MALFORMED_QUERY", "COUNT"),
    ("SELECT Id FROM Lead GROUP BY Status", "MALFORMED_QUERY", "GROUP"),
    ("SELECT Id, Account.Name FROM Contact", "MALFORMED_QUERY", "relationship"),
    ("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:7", "MALFORMED_QUERY", "LAST_N_DAYS"),
    ("SELECT Id, Nope__c FROM Lead", "INVALID_FIELD", "Nope__c"),
    ("SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01'", "INVALID_FIELD", "dateTime"),
    ("SELECT Id FROM Widget__c", "INVALID_TYPE", "Widget__c"),
])
def test_unsupported_or_invalid_soql(sf: Salesforce, soql: str, code: str, words: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query(soql)
    assert err.value.status == 400
    assert err.value.content[0]["errorCode"] == code and words in err.value.content[0]["message"]


def test_describe_and_sobjects(sf: Salesforce) -> None:
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Lead", "Contact", "Account", "Opportunity", "OpportunityHistory", "OpportunityContactRole",
            "OpportunityLineItem", "Product2", "Campaign", "CampaignMember", "LeadHistory", "Task", "Event", "User",
            "UserRole"} <= names
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    assert fields["Segment__c"]["custom"] is True and fields["Status"]["custom"] is False
    assert fields["CreatedDate"]["type"] == "datetime" and fields["ConvertedDate"]["type"] == "date"
    assert fields["ConvertedOpportunityId"]["referenceTo"] == ["Opportunity"]
    assert "LastModifiedDate" not in {f["name"] for f in sf.OpportunityHistory.describe()["fields"]}
    with pytest.raises(SalesforceResourceNotFound):
        sf.Widget__c.describe()


def test_deleted_and_updated(sf: Salesforce, world: Path) -> None:
    rows = read_jsonl(world / "salesforce" / "Lead.jsonl")
    start, end = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)
    deleted = sf.Lead.deleted(start, end)
    assert {d["id"] for d in deleted["deletedRecords"]} == {r["Id"] for r in rows if r["IsDeleted"]}
    updated = sf.Lead.updated(dt.datetime(2025, 12, 1, tzinfo=UTC), end)
    assert set(updated["ids"]) == {r["Id"] for r in rows if not r["IsDeleted"]
                                   and r["SystemModstamp"] >= "2025-12-01T00:00:00.000+0000"}


def test_bulk2_query_csv_pages(sf: Salesforce, world: Path) -> None:
    rows = [r for r in read_jsonl(world / "salesforce" / "CampaignMember.jsonl") if not r["IsDeleted"]]
    pages = list(sf.bulk2.CampaignMember.query("SELECT Id, CampaignId, HasResponded, FirstRespondedDate, "
                                               "CreatedDate FROM CampaignMember", max_records=1000, wait=0.05))
    assert len(pages) > 1
    got = [r for page in pages for r in csv.DictReader(io.StringIO(page))]
    assert len(got) == len(rows)
    assert got[0]["HasResponded"] in ("true", "false") and got[0]["CreatedDate"].endswith(".000Z")


def test_limits_oauth_and_usage_header(sf: Salesforce, srv) -> None:  # noqa: ANN001
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] >= limits["DailyApiRequests"]["Remaining"] > 0
    assert sf.api_usage["api-usage"].total == limits["DailyApiRequests"]["Max"]
    s = requests.Session()
    s.trust_env = False
    token = s.post(f"{srv.salesforce_url}/services/oauth2/token", verify=str(srv.ca_file),
                   data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}).json()
    assert token["access_token"] == srv.token and token["instance_url"] == srv.salesforce_url


def test_bad_token_is_invalid_session(srv) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceExpiredSession) as err:
        salesforce_client(srv, token="wrong").query("SELECT Id FROM Lead")
    assert err.value.status == 401 and err.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_faults_daily_limit_errors_and_expired_locators(world: Path, tmp_path: Path) -> None:
    with start_sandbox(world, faults=FaultConfig(salesforce_daily_limit=2), tls_dir=tmp_path) as limited:
        sf = salesforce_client(limited)
        sf.query("SELECT Id FROM User")
        sf.query("SELECT Id FROM User")
        with pytest.raises(SalesforceRefusedRequest) as err:
            sf.query("SELECT Id FROM User")
        assert err.value.status == 403 and err.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    with start_sandbox(world, faults=FaultConfig(error_rate=1.0, error_statuses=(503,)), tls_dir=tmp_path) as bad:
        with pytest.raises(SalesforceGeneralError) as err:
            salesforce_client(bad).query("SELECT Id FROM User")
        assert err.value.status == 503
    with start_sandbox(world, faults=FaultConfig(locator_ttl_s=0.0), tls_dir=tmp_path) as expiring:
        with pytest.raises(SalesforceMalformedRequest) as err:
            list(salesforce_client(expiring).query_all_iter("SELECT Id FROM Lead",
                                                            headers={"Sforce-Query-Options": "batchSize=200"}))
        assert err.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
