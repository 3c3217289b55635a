"""Write-audit-publish with real dbt and GX on a small sandbox world: a planted critical defect is
withheld (live marts byte-identical, bi_reader still reads them, the audit row names the failed
expectation), and a bi_reader loop during the runs never sees marts of two runs or a missing mart."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from funnelhouse import publish
from funnelhouse.dbt import run_dbt
from tests.orchestration.test_publish import as_bi_reader, digest
from tests.support.worlds import WorldCache, world_clock

SEED, PEOPLE = 11, 60
# two marts from different parts of the DAG: a reader must always see both from the same run
READER_QUERY = ("select (select min(_published_run_id) from marts.funnel_conversion), "
                "(select max(_published_run_id) from marts.funnel_conversion), "
                "(select min(_published_run_id) from marts.fct_opportunities), "
                "(select max(_published_run_id) from marts.fct_opportunities)")


class Reader(threading.Thread):
    """bi_reader querying two marts' run ids in one statement, as fast as it can."""

    def __init__(self, dsn: str):
        super().__init__(daemon=True)
        self.dsn, self.stop, self.seen, self.problems = dsn, threading.Event(), set(), []

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("set role bi_reader")
            while not self.stop.is_set():
                try:
                    row = conn.execute(READER_QUERY).fetchone()
                except psycopg.Error as exc:  # a missing table or a permission error
                    self.problems.append(f"{type(exc).__name__}: {exc}")
                    continue
                if len(set(row)) != 1 or None in row:
                    self.problems.append(f"mixed or empty marts: {row}")
                self.seen.add(row[0])


@pytest.fixture(scope="module")
def world(worlds: WorldCache) -> tuple[str, str]:
    dataset = worlds.dataset(SEED, PEOPLE)
    return worlds.copy(worlds.extracted(SEED, PEOPLE), "publish_world"), world_clock(dataset)


def test_defect_withheld_and_readers_see_one_run(world: tuple[str, str], tmp_path: Path) -> None:
    dsn, as_of = world
    kw = {"as_of": as_of, "state_dir": tmp_path / "state", "data_docs": False}
    first = publish.build_validate_publish(dsn, "run-1", **kw)
    assert first.published, (first.reason, first.failed_expectations)
    assert first.row_counts["funnel_conversion"] > 0 and first.timings["swap_lock_seconds"] < 5
    published = digest(dsn)
    reader = Reader(dsn)
    reader.start()
    try:
        # run 2: dbt builds the shadow, then a critical defect lands in it (a rate above 1)
        publish.reset_shadow(dsn)
        assert run_dbt(["build", "--exclude", "resource_type:unit_test"], dsn,
                       vars={**publish.SHADOW_VARS, "as_of": as_of}).success
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("update marts__next.funnel_conversion set conversion_rate = 1.5")
        second = publish.build_validate_publish(dsn, "run-2", build=False, **kw)
        assert second.decision == "withheld"
        assert any("funnel_conversion" in f and "conversion_rate" in f for f in second.failed_expectations), \
            second.failed_expectations
        assert digest(dsn) == published, "a withheld run leaves the live marts byte-identical"
        assert as_bi_reader(dsn, "select distinct _published_run_id from marts.funnel_conversion") == [("run-1",)]
        # runs 3 and 4 publish normally; the reader keeps reading the whole time
        for run_id in ("run-3", "run-4"):
            pub = publish.build_validate_publish(dsn, run_id, **kw)
            assert pub.published, (pub.reason, pub.failed_expectations)
    finally:
        reader.stop.set()
        reader.join(timeout=30)
    assert reader.problems == []
    assert {"run-1", "run-4"} <= reader.seen and "run-2" not in reader.seen
    rows = publish.history(dsn)
    assert [(r["run_id"], r["decision"]) for r in reversed(rows)] == [
        ("run-1", "published"), ("run-2", "withheld"), ("run-3", "published"), ("run-4", "published")]
    assert publish.live_run(dsn)["run_id"] == "run-4"
    with psycopg.connect(dsn) as conn:
        cols = conn.execute("select count(distinct table_name) from information_schema.columns "
                            "where table_schema = 'marts' and column_name = '_published_run_id'").fetchone()[0]
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'marts'").fetchone()[0]
        watermarks = conn.execute("select raw_watermarks from audit.publications where run_id = 'run-4'").fetchone()[0]
    assert cols == tables > 10, "every mart carries _published_run_id"
    assert watermarks, "the raw watermarks the run was built from are recorded"
