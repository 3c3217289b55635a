"""Issue 15 #6: formula fields (`calculated: true`) change without SystemModstamp moving. The heavy
org's `Opportunity.Days_Open__c` counts the days an opportunity is open, so `advance` changes it for
every open one; the scheduled refresh (SALESFORCE_FORMULA_REFRESH_HOURS) stores exactly those changes
as new versions, and nothing twice. Real simple-salesforce over HTTPS against the emulator."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from extractors.engine.records import parse_timestamp
from extractors.run import extract_object
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, dataset_records, settings_for


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(seed=59, people=700, out_dir=tmp_path_factory.mktemp("formulas") / "w", mess="heavy")


def _by_id(dataset: Path) -> dict[str, dict]:
    return {r["Id"]: r for r in dataset_records(dataset, "salesforce", "Opportunity")}


def _formula_jobs(servers) -> list[list[str]]:
    """Fields of the emulator's Bulk 2.0 query jobs that read Opportunity's formula field."""
    return [job.fields for job in servers.salesforce.bulk.jobs.values()
            if job.obj == "Opportunity" and "Days_Open__c" in job.fields]


# `bulk2`: more stored rows than EXTRACT_BULK_THRESHOLD, so the refresh reads through a Bulk API 2.0 job
@pytest.mark.parametrize("path", ["rest", "bulk2"])
def test_changed_formula_values_become_new_versions_once(world: Path, make_database: Callable[[str], str],
                                                          tmp_path: Path, path: str) -> None:
    moving = Path(shutil.copytree(world, tmp_path / "w"))
    dsn = make_database(f"sf_formula_{path}")
    before = _by_id(moving)
    with start_sandbox(moving) as servers:
        settings = settings_for(servers, tmp_path)
        first = extract_object(settings, dsn, "salesforce", "Opportunity", options=TEST_OPTIONS)
        advance(moving, days=3)
        servers.reload()
        after = _by_id(moving)
        # independently: the opportunities whose formula moved while SystemModstamp did not
        drifted = {i for i, r in after.items() if i in before and not r["IsDeleted"]
                   and r["SystemModstamp"] == before[i]["SystemModstamp"]
                   and r["Days_Open__c"] != before[i]["Days_Open__c"]}
        assert len(drifted) >= 3, "the heavy world should have open opportunities whose age moves"
        daily = extract_object(settings, dsn, "salesforce", "Opportunity", options=TEST_OPTIONS)
        assert "formulas" not in daily.mode  # the first run started the clock: not due for 24 h
        every_run = replace(TEST_OPTIONS, formula_refresh_hours=0,
                            bulk_threshold=10 if path == "bulk2" else TEST_OPTIONS.bulk_threshold)
        assert _formula_jobs(servers) == []
        refreshed = extract_object(settings, dsn, "salesforce", "Opportunity", options=every_run)
        refresh_jobs = _formula_jobs(servers)
        again = extract_object(settings, dsn, "salesforce", "Opportunity", options=every_run)
    if path == "bulk2":  # one job per refresh, reading only Id, the version field and the formulas
        assert refresh_jobs and all(f[:2] == ["Id", "SystemModstamp"] and len(f) < 6 for f in refresh_jobs)
        assert len(refresh_jobs) == 1 and "bulk2" in refreshed.mode, refreshed.mode
    else:
        assert refresh_jobs == [], "below the threshold the refresh pages through REST queries"
    assert "formulas" not in first.mode and "formulas" in refreshed.mode and "formulas" in again.mode
    assert again.versions_new == 0  # unchanged values are not stored again
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select id, source_updated_at, record from raw_salesforce.opportunity").fetchall()
        latest = dict(conn.execute(
            "select distinct on (id) id, record from raw_salesforce.opportunity order by id, source_updated_at desc"))
    step = timedelta(microseconds=1)
    refresh_versions = {i for i, at, rec in rows if at == parse_timestamp(rec["SystemModstamp"]) + step}
    assert refresh_versions == drifted
    assert refreshed.versions_new == len(drifted)
    # raw now holds, as its latest version, every live opportunity as the API serves it (a deleted one's
    # formula is not refreshed: it is in the recycle bin)
    live = {i for i, r in after.items() if not r["IsDeleted"]}
    assert {i: latest[i]["Days_Open__c"] for i in live} == {i: after[i]["Days_Open__c"] for i in live}
    assert all(latest[i]["SystemModstamp"] == after[i]["SystemModstamp"] for i in after)
