"""Issue 15, every real-org knob on (`--mess heavy`, both CRMs): the restricted Salesforce user, formula
drift, 10 cursors per user, the slow Task query (Bulk 2.0 fallback), Invoice__c and the HubSpot invoice
custom object (SALESFORCE_EXTRA_OBJECTS / HUBSPOT_EXTRA_OBJECTS), plus every HubSpot behaviour. A re-run
leaves raw byte-identical; crashes at random points of a first run and of an incremental run with a
formula refresh, and SIGKILLs of `python -m extractors`, resume to exactly the uninterrupted result."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from extractors.run import extract
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, dataset_records, extract_with_crashes, settings_for, snapshot

EXTRAS = {"SALESFORCE_EXTRA_OBJECTS": "Invoice__c", "HUBSPOT_EXTRA_OBJECTS": "2-4000001"}
#: the second phase re-reads formulas every run
REFRESH = replace(TEST_OPTIONS, formula_refresh_hours=0)


@pytest.fixture(scope="module", autouse=True)
def extra_objects() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in EXTRAS.items():
            mp.setenv(k, v)
        yield


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The heavy world at its first clock, and the same world 10 days later (formulas moved)."""
    root = tmp_path_factory.mktemp("heavy_all")
    first = generate(seed=71, people=200, out_dir=root / "w1", mess="heavy")
    later = Path(shutil.copytree(first, root / "w2"))
    advance(later, days=10)
    for obj in ("Invoice__c",):
        assert dataset_records(first, "salesforce", obj)
    assert dataset_records(first, "hubspot", "2-4000001")
    return first, later


def _run(world: Path, dsn: str, state: Path, options=TEST_OPTIONS) -> None:  # noqa: ANN001
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, state), dsn, progress=False, options=options)
    assert summary.ok, [(o.source, o.object, o.error) for o in summary.objects if o.outcome != "success"]


@pytest.fixture(scope="module")
def baseline(worlds: tuple[Path, Path], make_database: Callable[[str], str],
             tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict, dict]:
    """Both phases uninterrupted; (dsn, raw after phase 1, raw after phase 2)."""
    dsn = make_database("hw_base")
    state = tmp_path_factory.mktemp("s")
    _run(worlds[0], dsn, state)
    first = snapshot(dsn, exact=False)
    assert "raw_salesforce.invoice__c" in first and "raw_hubspot.custom_2_4000001" in first
    _run(worlds[1], dsn, state, REFRESH)
    with psycopg.connect(dsn) as conn:
        refreshed = conn.execute("select count(*) from raw_salesforce.opportunity where source_updated_at = "
                                 "(record->>'SystemModstamp')::timestamptz + interval '1 microsecond'").fetchone()[0]
    assert refreshed > 0, "phase 2 should store formula values that moved without SystemModstamp"
    return dsn, first, snapshot(dsn, exact=False)


def test_a_re_run_leaves_raw_byte_identical(worlds: tuple[Path, Path], baseline: tuple[str, dict, dict],
                                            tmp_path: Path) -> None:
    dsn, _, after = baseline
    before = snapshot(dsn)
    _run(worlds[1], dsn, tmp_path, REFRESH)  # formulas re-read too: nothing changed, nothing stored
    assert snapshot(dsn) == before


def _crashing_run(world: Path, dsn: str, tmp_path: Path, rnd: random.Random, crashes: dict[str, int],
                  options=TEST_OPTIONS) -> None:  # noqa: ANN001
    with start_sandbox(world) as servers:
        extract_with_crashes(settings_for(servers, tmp_path), dsn, rnd, crashes, replace(options, flush_rows=30), 6)


def test_crashes_at_random_points_resume_to_the_uninterrupted_result(
        worlds: tuple[Path, Path], baseline: tuple[str, dict, dict], make_database: Callable[[str], str],
        tmp_path: Path) -> None:
    _, first, after = baseline
    dsn = make_database("hw_crash")
    rnd = random.Random(71)
    crashes: dict[str, int] = {}
    _crashing_run(worlds[0], dsn, tmp_path, rnd, crashes)
    assert snapshot(dsn, exact=False) == first
    _crashing_run(worlds[1], dsn, tmp_path, rnd, crashes, REFRESH)
    assert sum(crashes.values()) >= 20 and len(crashes) == 3, crashes
    assert snapshot(dsn, exact=False) == after


def test_sigkill_of_the_cli_then_resume_equals_uninterrupted(
        worlds: tuple[Path, Path], baseline: tuple[str, dict, dict], make_database: Callable[[str], str]) -> None:
    _, first, _ = baseline
    dsn = make_database("hw_kill")
    with start_sandbox(worlds[0], faults=FaultConfig(latency_ms=25)) as servers:
        env = {**os.environ, **EXTRAS, "WAREHOUSE_DSN": dsn, **servers.crm_env(), "EXTRACT_FLUSH_ROWS": "40",
               "GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1"}
        root = Path(__file__).resolve().parents[2]
        rnd = random.Random(23)
        kills = 0
        command = [sys.executable, "-m", "extractors", "--quiet"]
        for _ in range(5):
            proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=rnd.uniform(1.5, 6.0))
            except subprocess.TimeoutExpired:
                proc.kill()  # SIGKILL: no cleanup, possibly mid-COPY, cursor slots held by the dead session
                proc.wait()
                kills += 1
        finished = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "WARNING salesforce.Task" in finished.stdout  # the restricted user is reported, the run succeeds
    assert kills >= 2
    assert snapshot(dsn, exact=False) == first
