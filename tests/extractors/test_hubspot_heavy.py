"""Issue 15, all HubSpot knobs on (`--mess heavy`): a re-run leaves raw byte-identical, crashes at
random points and SIGKILLs of `python -m extractors` resume to exactly the uninterrupted result, and
an expired token fails with one line naming the setting while nothing loaded is lost."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from extractors.engine.errors import ExtractError
from extractors.run import extract, extract_object, list_objects
from funnelhouse.core.settings import Secret
from sandbox.emulators.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, dataset_records, settings_for, snapshot


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A heavy world one advance after its first clock: merges, vanished records, late and removed
    associations and lagging timestamps all present in what the API serves."""
    world = generate(seed=47, people=200, out_dir=tmp_path_factory.mktemp("heavy") / "w", mess="heavy")
    advance(world, days=90)
    assert dataset_records(world, "hubspot", "object_merges")
    return world


@pytest.fixture(scope="module")
def baseline(heavy: Path, make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    dsn = make_database("hv_base")
    with start_sandbox(heavy) as servers:
        summary = extract(settings_for(servers, tmp_path_factory.mktemp("s")), dsn, sources=["hubspot"],
                          progress=False, options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    return dsn


def test_a_re_run_leaves_raw_byte_identical(heavy: Path, baseline: str, tmp_path: Path) -> None:
    before = snapshot(baseline)
    with start_sandbox(heavy) as servers:
        summary = extract(settings_for(servers, tmp_path), baseline, sources=["hubspot"], progress=False,
                          options=TEST_OPTIONS)
    assert summary.ok and sum(o.versions_new for o in summary.objects) == 0
    assert snapshot(baseline) == before


class Crash(Exception):
    pass


def test_crash_at_random_points_then_resume_equals_uninterrupted(
        heavy: Path, baseline: str, make_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = make_database("hv_crash")
    options = replace(TEST_OPTIONS, flush_rows=30)
    rnd = random.Random(15)
    crashes: dict[str, int] = {}
    with start_sandbox(heavy) as servers:
        settings = settings_for(servers, tmp_path)
        for name in list_objects("hubspot"):
            for _attempt in range(8):
                point, kill_at = rnd.choice(["before_load", "before_commit", "after_commit"]), rnd.randint(1, 3)

                def hook(where: str, n: int, point: str = point, kill_at: int = kill_at) -> None:
                    if where == point and n == kill_at:
                        raise Crash(f"killed at {where} {n}")

                try:
                    extract_object(settings, dsn, "hubspot", name, options=options, after_commit=hook)
                    break
                except Crash:
                    crashes[point] = crashes.get(point, 0) + 1
            else:
                extract_object(settings, dsn, "hubspot", name, options=options)
    assert sum(crashes.values()) >= 8 and len(crashes) == 3, crashes
    assert snapshot(dsn, exact=False) == snapshot(baseline, exact=False)


def test_sigkill_of_the_cli_then_resume_equals_uninterrupted(
        heavy: Path, baseline: str, make_database: Callable[[str], str]) -> None:
    dsn = make_database("hv_kill")
    with start_sandbox(heavy, faults=FaultConfig(latency_ms=25)) as servers:
        env = {**os.environ, "WAREHOUSE_DSN": dsn, **servers.crm_env(), "EXTRACT_FLUSH_ROWS": "40",
               "GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1"}
        root = Path(__file__).resolve().parents[2]
        rnd = random.Random(21)
        kills = 0
        command = [sys.executable, "-m", "extractors", "hubspot", "--quiet"]
        for _ in range(4):
            proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=rnd.uniform(1.5, 5.0))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                kills += 1
        finished = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert kills >= 2
    assert snapshot(dsn, exact=False) == snapshot(baseline, exact=False)


def test_an_expired_token_fails_in_one_line_naming_the_setting_and_loses_nothing(
        heavy: Path, baseline: str, tmp_path: Path) -> None:
    before = snapshot(baseline)
    expired = "pat-na1-expired-7c1f"
    with start_sandbox(heavy) as servers:
        settings = settings_for(servers, tmp_path)
        stale = type(settings)(state_dir=tmp_path, salesforce=settings.salesforce,
                               hubspot=type(settings.hubspot)(access_token=Secret(expired),
                                                              base_url=servers.hubspot_url))
        with pytest.raises(ExtractError) as failure:
            extract_object(stale, baseline, "hubspot", "contacts", options=TEST_OPTIONS)
        summary = extract(stale, baseline, sources=["hubspot"], progress=False, options=TEST_OPTIONS)
    message = str(failure.value)
    assert "\n" not in message and "HUBSPOT_ACCESS_TOKEN" in message and "401" in message, message
    assert expired not in message
    assert not summary.ok and all(o.outcome == "failed" and "HUBSPOT_ACCESS_TOKEN" in o.error
                                  for o in summary.objects)
    assert snapshot(baseline) == before
    with psycopg.connect(baseline) as conn:
        watermarks = conn.execute("select count(*) from raw_meta.sync_state where source = 'hubspot' "
                                  "and watermark is not null").fetchone()[0]
    assert watermarks > 0  # the state is still there: the next run with a good token resumes
