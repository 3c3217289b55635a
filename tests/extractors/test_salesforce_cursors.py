"""Issue 15 #7: query locators. A user holds at most N open cursors (the oldest released silently)
and locators expire; every paged query, the id reconciliation included, resumes instead of failing;
parallel object runs share a cap on open cursors (EXTRACT_SF_MAX_CURSORS); QUERY_TIMEOUT falls back
to Bulk 2.0. Real simple-salesforce over HTTPS against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from extractors.run import extract, extract_object
from funnelhouse.core.raw import table_name
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.world import generate
from tests.support.extract import TEST_OPTIONS, settings_for, snapshot

#: objects with several 200-row pages in this world (Task is the slow one: Bulk 2.0 on QUERY_TIMEOUT)
PAGED = ("Campaign", "CampaignMember", "LeadHistory", "OpportunityHistory", "Lead", "Contact")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(seed=61, people=500, out_dir=tmp_path_factory.mktemp("cursors") / "w", mess="heavy")


@pytest.fixture(scope="module")
def baseline(world: Path, make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    dsn = make_database("cur_base")
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, tmp_path_factory.mktemp("s")), dsn, sources=["salesforce"],
                          progress=False, options=TEST_OPTIONS)
        assert servers.salesforce.released == 0  # one object at a time never needs 10 cursors
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    by_object = {o.object: o for o in summary.objects}
    assert "bulk2" in by_object["Task"].mode and "rest" in by_object["Task"].mode  # QUERY_TIMEOUT -> Bulk 2.0
    assert json.loads((world / "salesforce_org.json").read_text())["query_timeout_rows"]["Task"] < \
        by_object["Task"].rows
    return dsn


def _tables(dsn: str) -> dict[str, list[tuple]]:
    keep = {f"raw_salesforce.{table_name(o)}" for o in PAGED}
    return {k: v for k, v in snapshot(dsn, exact=False).items() if k in keep}


def _parallel(world: Path, dsn: str, tmp_path: Path, user_cursors: int, shared_cap: int) -> tuple[int, int]:
    """Every PAGED object in its own thread (as parallel Airflow tasks); returns the emulator's
    (cursors released under the user, most cursors open at once)."""
    options = replace(TEST_OPTIONS, sf_max_cursors=shared_cap, flush_rows=50)
    faults = FaultConfig(salesforce_max_cursors=user_cursors, latency_ms=15)
    with start_sandbox(world, salesforce_faults=faults) as servers:
        settings = settings_for(servers, tmp_path)
        with ThreadPoolExecutor(len(PAGED)) as pool:
            results = list(pool.map(lambda o: extract_object(settings, dsn, "salesforce", o, options=options), PAGED))
        assert all(r.outcome == "success" for r in results), [(r.object, r.error) for r in results]
        return servers.salesforce.released, servers.salesforce.peak_open


def test_a_shared_cap_keeps_parallel_objects_under_the_users_cursor_limit(
        world: Path, baseline: str, make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("cur_capped")
    released, peak = _parallel(world, dsn, tmp_path, user_cursors=2, shared_cap=2)
    assert released == 0 and 1 <= peak <= 2
    assert _tables(dsn) == _tables(baseline)


def test_released_cursors_are_resumed_without_loss(
        world: Path, baseline: str, make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("cur_released")
    released, _ = _parallel(world, dsn, tmp_path, user_cursors=2, shared_cap=len(PAGED))
    assert released > 0, "without the shared cap the org should have released cursors under the runs"
    assert _tables(dsn) == _tables(baseline)


def test_the_id_reconciliation_resumes_after_expired_locators(
        world: Path, baseline: str, make_database: Callable[[str], str], tmp_path: Path) -> None:
    """Every locator expires at once: each page of the id scan is a fresh query after the last Id.
    A lost id would become a false tombstone, a failed resume a failed run."""
    dsn = make_database("cur_expired", template=baseline)
    before = snapshot(dsn, exact=False)
    with start_sandbox(world, salesforce_faults=FaultConfig(locator_ttl_s=0)) as servers:
        settings = settings_for(servers, tmp_path)
        results = [extract_object(settings, dsn, "salesforce", o, options=TEST_OPTIONS) for o in PAGED]
    assert all(r.outcome == "success" and r.versions_new == 0 for r in results), \
        [(r.object, r.outcome, r.versions_new, r.error) for r in results]
    assert snapshot(dsn, exact=False) == before
