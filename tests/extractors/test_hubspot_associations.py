"""Issue 15 #1: associations added or removed after both records' last change reach raw within
HUBSPOT_ASSOCIATION_REFRESH_HOURS (a rotating slice per run), removed ones as tombstones, at a
cost proportional to the slice. `--mess heavy` world, real hubspot-api-client over HTTP."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from extractors.hubspot.associations import ASSOCIATION_PAIRS
from extractors.run import extract, extract_object
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, expected_pairs, latest, settings_for, stored_pairs

HUBSPOT_OBJECTS = ["companies", "contacts", "deals", "line_items", "calls", "emails", "meetings"]


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]) -> tuple[Path, str, Path]:
    """A heavy world extracted once, then advanced 150 days with its objects (not associations) read again."""
    root = tmp_path_factory.mktemp("assoc")
    world = generate(seed=29, people=240, out_dir=root / "w", mess="heavy")
    dsn = make_database("hs_assoc")
    with start_sandbox(world) as servers:
        assert extract(settings_for(servers, root), dsn, sources=["hubspot"], progress=False,
                       options=TEST_OPTIONS).ok
    advance(world, days=150)
    with start_sandbox(world) as servers:
        assert extract(settings_for(servers, root), dsn, objects=HUBSPOT_OBJECTS, progress=False,
                       options=TEST_OPTIONS).ok
    return world, dsn, root


def _age_refresh(dsn: str, hours: float) -> None:
    """Pretend the last refresh slice of every from type was taken `hours` ago."""
    at = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    with psycopg.connect(dsn) as conn:
        cursor = conn.execute("select cursor from raw_meta.sync_state where object = 'associations'").fetchone()[0]
        for position in cursor["refresh"].values():
            position["at"] = at
        conn.execute("update raw_meta.sync_state set cursor = %s where object = 'associations'", (json.dumps(cursor),))


def _run(world: Path, dsn: str, root: Path, **options: object):  # noqa: ANN202
    with start_sandbox(world) as servers:
        summary = extract_object(settings_for(servers, root), dsn, "hubspot", "associations",
                                 options=replace(TEST_OPTIONS, **{"association_batch": 25, **options}))
    assert summary.outcome == "success", summary.error
    return summary


def test_associations_changed_without_their_records_land_within_the_refresh_period(
        moved: tuple[Path, str, Path]) -> None:
    world, dsn, root = moved
    wanted = expected_pairs(world, ASSOCIATION_PAIRS)
    # Runs seconds apart read only the changed records plus a one-id slice per type: what changed
    # without either record changing is still missing (the knob produces it) ...
    _run(world, dsn, root)
    missing, extra = wanted - stored_pairs(dsn), stored_pairs(dsn) - wanted
    assert missing and extra, "the heavy world should add and remove associations behind the records' backs"
    # ... four runs six hours apart cover the whole population once (the 24 h default) ...
    calls = []
    for _ in range(4):
        _age_refresh(dsn, 6)
        calls.append(_run(world, dsn, root).api_calls)
    assert stored_pairs(dsn) == wanted
    # ... and removed associations are tombstones, never deleted rows.
    pairs = latest(dsn, "raw_hubspot.associations")
    removed = {f"{f}:{i}:{t}:{j}" for f, i, t, j in extra}
    assert removed and all(pairs[p][1] and pairs[p][2]["_hard_deleted"] for p in removed)
    # Cost (25 ids per batch read here, so a small world spans many): a quarter slice costs far less
    # than a whole-population refresh.
    _age_refresh(dsn, 48)
    whole = _run(world, dsn, root).api_calls
    assert max(calls) < 0.6 * whole, (calls, whole)


def test_a_re_run_adds_nothing(moved: tuple[Path, str, Path]) -> None:
    world, dsn, root = moved
    _age_refresh(dsn, 48)
    _run(world, dsn, root)
    with psycopg.connect(dsn) as conn:
        before = conn.execute("select count(*), max(xmin::text::bigint) from raw_hubspot.associations").fetchone()
    _age_refresh(dsn, 48)
    again = _run(world, dsn, root)
    assert again.versions_new == 0 and again.tombstones == 0
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*), max(xmin::text::bigint) from raw_hubspot.associations"
                            ).fetchone() == before


def test_an_association_back_after_its_tombstone_is_the_latest_version(
        moved: tuple[Path, str, Path], tmp_path: Path) -> None:
    world, dsn, root = moved
    _age_refresh(dsn, 48)
    _run(world, dsn, root)
    path = world / "hubspot" / "associations.jsonl"
    lines = path.read_text().splitlines()
    gone = json.loads(lines[0])
    pair = f"{gone['fromObjectType']}:{gone['fromObjectId']}:{gone['toObjectType']}:{gone['toObjectId']}"
    backup = tmp_path / "associations.jsonl"
    shutil.copy(path, backup)
    path.write_text("\n".join(lines[1:]) + "\n")
    _age_refresh(dsn, 48)
    _run(world, dsn, root)
    assert latest(dsn, "raw_hubspot.associations")[pair][1]  # removed: tombstone
    shutil.copy(backup, path)
    _age_refresh(dsn, 48)
    _run(world, dsn, root)
    assert not latest(dsn, "raw_hubspot.associations")[pair][1]  # back: live again
