"""Issue 15 #10: timestamp paging that makes no progress. A `--mess heavy` world lets `updatedAt` lag
the last-modified property; a portal whose search ignores the timestamp filter would page forever.
Real hubspot-api-client over HTTP, real PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from extractors.engine.errors import ExtractError
from extractors.run import extract, extract_object
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from sandbox.world.schema import hs_modified_prop
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for, snapshot


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(seed=23, people=200, out_dir=tmp_path_factory.mktemp("heavy") / "w", mess="heavy")


def _lagged(world: Path, object_type: str) -> int:
    prop = hs_modified_prop(object_type)
    return sum(1 for r in dataset_records(world, "hubspot", object_type)
               if r["properties"].get(prop) and r["properties"][prop] != r["updatedAt"])


def test_lagging_updated_at_is_paged_by_the_property_and_nothing_is_lost(
        heavy: Path, make_database: Callable[[str], str], tmp_path: Path) -> None:
    moving = tmp_path / "w"
    import shutil

    shutil.copytree(heavy, moving)
    assert _lagged(moving, "contacts") > 0  # the knob is on in heavy
    dsn = make_database("hs_lag")
    with start_sandbox(moving) as servers:
        assert extract(settings_for(servers, tmp_path), dsn, sources=["hubspot"], progress=False,
                       options=TEST_OPTIONS).ok
    advance(moving, days=60)
    with start_sandbox(moving) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, sources=["hubspot"], progress=False,
                          options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    assert "search" in {o.object: o.mode for o in summary.objects}["contacts"]
    for name in ("contacts", "deals", "companies"):
        stored = latest(dsn, f"raw_hubspot.{name}")
        for record in dataset_records(moving, "hubspot", name):
            assert stored[record["id"]][2]["updatedAt"] == record["updatedAt"], (name, record["id"])


def test_a_search_that_never_advances_stops_with_the_object_and_instant(
        heavy: Path, make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("hs_stuck")
    with start_sandbox(heavy) as servers:
        first = extract_object(settings_for(servers, tmp_path), dsn, "hubspot", "contacts", options=TEST_OPTIONS)
    assert first.outcome == "success"
    before = snapshot(dsn)
    with psycopg.connect(dsn) as conn:
        watermark = conn.execute("select watermark from raw_meta.sync_state where object = 'contacts'").fetchone()[0]
    started = time.monotonic()
    with start_sandbox(heavy, hubspot_faults=FaultConfig(hubspot_stuck_search=True)) as stuck:
        with pytest.raises(ExtractError) as failure:
            extract_object(settings_for(stuck, tmp_path), dsn, "hubspot", "contacts", options=TEST_OPTIONS)
    assert time.monotonic() - started < 30
    message = str(failure.value)
    start = (watermark - TEST_OPTIONS.overlap).isoformat().replace("+00:00", "Z")
    assert "hubspot contacts" in message and "no progress" in message and start in message, message
    assert "lastmodifieddate" in message
    assert snapshot(dsn) == before  # nothing lost, nothing half-written
    with psycopg.connect(dsn) as conn:
        outcome, calls, error = conn.execute(
            "select outcome, api_calls, error from raw_meta.sync_runs where object = 'contacts' "
            "order by started_at desc limit 1").fetchone()
    assert outcome == "failed" and calls <= 5 and start in error
