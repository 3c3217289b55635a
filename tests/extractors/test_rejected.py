"""Bad records at the source land in raw_meta.rejected_records with readable reasons; the rest loads.
Also: credentials errors are clear, not retried, and never show the token."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from extractors.engine.base import ExtractOptions
from extractors.engine.errors import ApiError
from extractors.run import extract, extract_object
from funnelhouse.core.settings import Secret
from sandbox.server import start_sandbox
from tests.support.extract import latest, settings_for

STAMP = "2025-02-01T10:00:00.000+0000"


def lead(i: int, **fields: object) -> dict:
    return {"Id": f"00Q5e00000Abc{i:02d}AAA", "IsDeleted": False, "LastName": f"Lead {i}", "Email": f"l{i}@x.io",
            "Status": "Open - Not Contacted", "CreatedDate": STAMP, "LastModifiedDate": STAMP,
            "SystemModstamp": STAMP, **fields}


def contact(i: int, updated: str = "2025-02-01T10:00:00.000Z") -> dict:
    properties = {"email": f"c{i}@x.io", "lastmodifieddate": "2025-02-01T10:00:00.000Z",
                  "createdate": "2025-01-01T00:00:00.000Z", "hs_object_id": str(5000 + i)}
    return {"id": str(5000 + i), "properties": properties,
            "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": updated, "archived": False}


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "bad"
    (root / "salesforce").mkdir(parents=True)
    (root / "hubspot").mkdir()
    # (A record without an id cannot be served by the emulator; test_loader covers that rejection.)
    leads = [lead(1), lead(2), lead(4, SystemModstamp=None), lead(5)]
    (root / "salesforce" / "Lead.jsonl").write_text("\n".join(json.dumps(r) for r in leads) + "\n")
    contacts = [contact(1), contact(2, "31/12/2024"), contact(3)]
    (root / "hubspot" / "contacts.jsonl").write_text("\n".join(json.dumps(r) for r in contacts) + "\n")
    (root / "world.json").write_text(json.dumps({"clock": "2025-03-01T00:00:00.000Z"}))
    return root


def test_bad_records_are_rejected_with_reasons_and_the_rest_loads(
        dataset: Path, tmp_path: Path, make_database: Callable[[str], str]) -> None:
    dsn = make_database("ex_rej")
    with start_sandbox(dataset) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, objects=["Lead", "contacts"], progress=False,
                          options=ExtractOptions())
        again = extract(settings_for(servers, tmp_path), dsn, objects=["Lead", "contacts"], progress=False,
                        options=ExtractOptions())
    assert summary.ok and again.ok, [(o.object, o.error) for o in summary.objects + again.objects]
    assert {o.object: o.rejected for o in summary.objects} == {"Lead": 1, "contacts": 1}
    assert sorted(latest(dsn, "raw_salesforce.lead")) == [lead(i)["Id"] for i in (1, 2, 5)]
    assert sorted(latest(dsn, "raw_hubspot.contacts")) == ["5001", "5003"]
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select source, object, record_id, reason, payload from raw_meta.rejected_records "
                            "order by object, record_id nulls first").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("salesforce", "Lead", lead(4)["Id"]), ("hubspot", "contacts", "5002")]
    assert rows[0][4]["LastName"] == "Lead 4"
    assert rows[0][3] == f"salesforce Lead {lead(4)['Id']}: no version timestamp (fields SystemModstamp are empty)"
    assert rows[1][3] == "hubspot contacts 5002: field updatedAt: unparseable timestamp '31/12/2024'"
    assert rows[1][4]["properties"]["email"] == "c2@x.io"


def test_bad_credentials_fail_clearly_once_without_leaking_the_token(
        dataset: Path, tmp_path: Path, make_database: Callable[[str], str]) -> None:
    dsn = make_database("ex_auth")
    with start_sandbox(dataset) as servers:
        settings = settings_for(servers, tmp_path)
        wrong = "pat-na1-wrong-token-4242"
        hubspot = type(settings.hubspot)(access_token=Secret(wrong), base_url=servers.hubspot_url)
        bad_hs = type(settings)(state_dir=tmp_path, salesforce=settings.salesforce, hubspot=hubspot)
        with pytest.raises(ApiError) as hs_error:
            extract_object(bad_hs, dsn, "hubspot", "contacts")
        bad_sf = type(settings)(state_dir=tmp_path, hubspot=settings.hubspot, salesforce=type(settings.salesforce)(
            instance_url=servers.salesforce_url, access_token=Secret(wrong), ca_file=str(servers.ca_file)))
        with pytest.raises(ApiError) as sf_error:
            extract_object(bad_sf, dsn, "salesforce", "Lead")
    for error in (hs_error.value, sf_error.value):
        assert error.status == 401 and "check the access token" in str(error) and "****" not in str(error)
        assert wrong not in str(error) and wrong not in repr(error.__context__ or "")
    assert str(hs_error.value).startswith("hubspot contacts")
    assert str(sf_error.value).startswith("salesforce Lead")
    with psycopg.connect(dsn) as conn:
        runs = conn.execute("select object, outcome, api_calls, retries, error from raw_meta.sync_runs").fetchall()
    assert {(r[0], r[1]) for r in runs} == {("contacts", "failed"), ("Lead", "failed")}
    assert all(r[2] == 1 and r[3] == 0 and wrong not in r[4] for r in runs)
