"""Issue 15 #5: a restricted Salesforce integration user (no View All Data, field-level security).
The `--mess heavy` org hides Task/Event rows and two fields the marts read from the integration user;
the run still loads what the user can see and says so in raw_meta.sync_runs.warning, the run summary
and the raw-layer quality suite. Real simple-salesforce over HTTPS against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from expectations.suites.raw import SYNC_HEALTH_SQL, suites
from extractors.cli import format_summary
from extractors.run import ExtractSummary, extract
from sandbox.server import start_sandbox
from sandbox.world import generate
from tests.support.extract import TEST_OPTIONS, dataset_records, settings_for


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(seed=53, people=300, out_dir=tmp_path_factory.mktemp("access") / "w", mess="heavy")


@pytest.fixture(scope="module")
def extracted(heavy: Path, make_database: Callable[[str], str],
              tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ExtractSummary]:
    dsn = make_database("sf_access")
    with start_sandbox(heavy) as servers:
        summary = extract(settings_for(servers, tmp_path_factory.mktemp("s")), dsn, sources=["salesforce"],
                          progress=False, options=TEST_OPTIONS)
    assert summary.ok, [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
    return dsn, summary


def test_visible_rows_land_and_the_invisible_ones_are_reported(heavy: Path,
                                                               extracted: tuple[str, ExtractSummary]) -> None:
    dsn, summary = extracted
    org = json.loads((heavy / "salesforce_org.json").read_text())
    private = {k: set(v) for k, v in org["private_rows"].items()}
    assert private["Task"], "the heavy org should share some tasks away from the integration user"
    with psycopg.connect(dsn) as conn:
        for obj, table in (("Task", "task"), ("Event", "event")):
            stored = {r[0] for r in conn.execute(f"select distinct id from raw_salesforce.{table}")}
            everything = {r["Id"] for r in dataset_records(heavy, "salesforce", obj)}
            assert stored == everything - private.get(obj, set())
        hidden = conn.execute("select count(*) from raw_salesforce.task where record ? 'CallDisposition'").fetchone()
        warnings = dict(conn.execute("select object, warning from raw_meta.sync_runs where source = 'salesforce'"))
    assert hidden == (0,)
    by_object = {o.object: o.warning or "" for o in summary.objects}
    assert all("lacks View All Data" in w for w in by_object.values()), by_object
    assert "Task.CallDisposition" in by_object["Task"] and "Event.EventSubtype" in by_object["Event"]
    assert "field-level security" not in by_object["Lead"]
    assert warnings == {o.object: o.warning for o in summary.objects}  # the run log says the same
    text = format_summary(summary)
    assert "WARNING salesforce.Task:" in text and "Task.CallDisposition" in text


def test_the_raw_quality_suite_warns(extracted: tuple[str, ExtractSummary]) -> None:
    dsn, _ = extracted
    with psycopg.connect(dsn) as conn:
        rows = {r[0]: r[1] for r in conn.execute(f"select source_object, last_warning from ({SYNC_HEALTH_SQL}) s")}
    assert "Task.CallDisposition" in rows["salesforce.Task"]
    (health,) = [s for s in suites() if s.name == "raw_meta_sync_health"]
    (expectation,) = [e for e in health.expectations if getattr(e, "column", None) == "last_warning"]
    assert expectation.severity == "warning"  # reported, the run goes on


def test_an_unrestricted_org_has_no_warning(make_database: Callable[[str], str], tmp_path: Path) -> None:
    world = generate(seed=53, people=60, out_dir=tmp_path / "w", mess="default")
    dsn = make_database("sf_open")
    with start_sandbox(world) as servers:
        summary = extract(settings_for(servers, tmp_path), dsn, sources=["salesforce"], objects=["Task", "Lead"],
                          progress=False, options=TEST_OPTIONS)
    assert summary.ok and [o.warning for o in summary.objects] == [None, None]
    assert "WARNING" not in format_summary(summary)


def test_one_permission_check_serves_every_process_of_the_login(heavy: Path, make_database: Callable[[str], str],
                                                                 tmp_path: Path) -> None:
    """Each DAG object task is its own process with its own connection: the check is asked once per
    SALESFORCE_PERMISSION_CHECK_HOURS, its finding reused from raw_meta.access_checks (0 = every connection)."""
    dsn = make_database("sf_access_once")
    asked: list[str] = []
    with start_sandbox(heavy) as servers:
        admit = servers.salesforce.before

        def counting(request):  # measurement only: which queries reached the emulator
            if "UserPermissionAccess" in (request.param("q") or ""):
                asked.append(request.path)
            return admit(request)

        servers.salesforce.before = counting
        runs = [extract(settings_for(servers, tmp_path), dsn, sources=["salesforce"], objects=[obj], progress=False,
                        options=TEST_OPTIONS) for obj in ("Lead", "Task", "Event")]
        assert len(asked) == 1
        every = extract(settings_for(servers, tmp_path), dsn, sources=["salesforce"], objects=["Lead"],
                        progress=False, options=replace(TEST_OPTIONS, permission_check_hours=0))
        assert len(asked) == 2
    warnings = [o.warning or "" for run in [*runs, every] for o in run.objects]
    assert len(warnings) == 4 and all("lacks View All Data" in w for w in warnings), warnings
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select principal, finding from raw_meta.access_checks").fetchall()
    assert len(rows) == 1 and len(rows[0][0]) == 64 and "lacks View All Data" in rows[0][1]
    assert servers.token not in rows[0][0]  # the login is stored hashed
