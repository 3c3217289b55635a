"""Issue 15 #9: marketing events on the new path `/marketing/marketing-events/v3`, the legacy
`/marketing/v3/marketing-events/` as fallback, and participations keyed by (event, contact, state,
time), not by the breakdown `id`. Real hubspot-api-client over HTTP, real PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from extractors.run import extract
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.world import generate
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for, snapshot

EVENTS = ["marketing_events", "marketing_event_participations"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(seed=41, people=300, out_dir=tmp_path_factory.mktemp("events") / "w")


def _expected_keys(world: Path) -> set[str]:
    live = {c["id"] for c in dataset_records(world, "hubspot", "contacts") if not c.get("archived")}
    return {f"{p['marketingEventId']}:{p['contactId']}:{p['properties']['attendanceState']}:"
            f"{p['properties']['occurredAt']}"
            for p in dataset_records(world, "hubspot", "marketing_event_participations") if p["contactId"] in live}


@pytest.mark.parametrize("faults", [FaultConfig(), FaultConfig(hubspot_legacy_events=False),
                                    FaultConfig(hubspot_new_events=False)],
                         ids=["both-served", "legacy-retired", "new-not-yet-served"])
def test_events_and_participations_land_whichever_path_the_portal_serves(
        world: Path, faults: FaultConfig, make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("hs_events")
    with start_sandbox(world, hubspot_faults=faults) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, objects=["contacts", *EVENTS], progress=False,
                          options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    events = {e["objectId"] for e in dataset_records(world, "hubspot", "marketing_events")}
    assert set(latest(dsn, "raw_hubspot.marketing_events")) == events
    assert set(latest(dsn, "raw_hubspot.marketing_event_participations")) == _expected_keys(world)
    calls = {o.object: o.api_calls for o in summary.objects}
    # the fallback costs one refused call per object and run, nothing else
    extra = 1 if not faults.hubspot_new_events else 0
    assert calls["marketing_events"] == 1 + extra, calls


def test_all_paths_store_identical_rows(world: Path, make_database: Callable[[str], str], tmp_path: Path) -> None:
    snapshots = []
    for faults in (FaultConfig(hubspot_legacy_events=False), FaultConfig(hubspot_new_events=False)):
        dsn = make_database("hs_events_same")
        with start_sandbox(world, hubspot_faults=faults) as servers:
            assert extract(settings_for(servers, tmp_path), dsn, objects=["contacts", *EVENTS], progress=False,
                           options=TEST_OPTIONS).ok
        snapshots.append(snapshot(dsn, exact=False))
    assert snapshots[0] == snapshots[1]


def test_participations_sharing_one_breakdown_id_are_all_kept(
        world: Path, make_database: Callable[[str], str], tmp_path: Path) -> None:
    """The ambiguous reading of the docs: the breakdown `id` is the event's id, shared by every
    participation of the event. Keyed by that id, all but one per event would be lost."""
    shared = tmp_path / "w"
    shutil.copytree(world, shared)
    path = shared / "hubspot" / "marketing_event_participations.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert len({r["marketingEventId"] for r in rows}) < len(rows)  # several participations per event
    path.write_text("".join(json.dumps({**r, "id": r["marketingEventId"]}) + "\n" for r in rows))
    dsn = make_database("hs_events_shared")
    with start_sandbox(shared) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, objects=["contacts", *EVENTS], progress=False,
                          options=TEST_OPTIONS)
    assert summary.ok
    stored = latest(dsn, "raw_hubspot.marketing_event_participations")
    assert set(stored) == _expected_keys(shared)
    assert {v[2]["id"] for v in stored.values()} <= {r["marketingEventId"] for r in rows}  # record kept as sent
    # a re-run adds nothing (the key is stable)
    before = snapshot(dsn)
    with start_sandbox(shared) as servers:
        again = extract(settings_for(servers, tmp_path), dsn, objects=EVENTS, progress=False, options=TEST_OPTIONS)
    assert again.ok and sum(o.versions_new for o in again.objects) == 0
    assert snapshot(dsn) == before
