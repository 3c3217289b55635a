"""Write-audit-publish (funnelhouse/publish.py) on a real PostgreSQL: the swap, the withhold, the
audit row, and what `bi_reader` reads. The dbt + GX path is in test_publish_world.py."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import psycopg
import pytest

from funnelhouse import publish


def digest(dsn: str, schema: str = "marts") -> dict[str, str]:
    """md5 of every table's rows (sorted text form): what 'byte-identical marts' means here."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        out = {}
        for name in publish.tables(conn, schema):
            rows = conn.execute(f'select t::text from "{schema}"."{name}" t order by 1').fetchall()
            out[name] = hashlib.md5("\n".join(r[0] for r in rows).encode()).hexdigest()
        return out


def as_bi_reader(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set role bi_reader")
        return conn.execute(query).fetchall()


def build_shadow(dsn: str, value: int) -> None:
    """What dbt does with --vars '{marts_schema: marts__next}': tables in the shadow only."""
    publish.reset_shadow(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"create table marts__next.funnel_conversion as select g as id, {value} as v "
                     "from generate_series(1, 5) g")
        conn.execute(f"create table marts__next.fct_opportunities as select g as id, {value} * 2 as amount "
                     "from generate_series(1, 3) g")


PASSED = {"run_id": "gx-ok", "success": True, "failed_critical_expectations": []}
FAILED = {"run_id": "gx-bad", "success": False, "critical_failures": 1,
          "failed_critical_expectations": ["marts_funnel on marts.funnel_conversion: "
                                           "expect_column_values_to_be_between column conversion_rate"]}


@pytest.fixture
def dsn(make_database) -> str:
    return make_database("publish")


def test_publish_swaps_in_the_shadow_with_run_id_and_grants(dsn: str) -> None:
    build_shadow(dsn, 1)
    pub = publish.publish_shadow(dsn, "run-1", "dag-1", [PASSED])
    assert pub.published, pub.reason
    assert pub.row_counts == {"fct_opportunities": 3, "funnel_conversion": 5}
    assert as_bi_reader(dsn, "select distinct _published_run_id from marts.funnel_conversion") == [("run-1",)]
    assert as_bi_reader(dsn, "select sum(amount) from marts.fct_opportunities") == [(6,)]
    assert publish.live_run(dsn)["run_id"] == "run-1"
    # a second publication replaces the first as a whole; the first stays as marts__prev
    build_shadow(dsn, 5)
    assert publish.publish_shadow(dsn, "run-2", "dag-2", [PASSED]).published
    assert as_bi_reader(dsn, "select distinct _published_run_id, v from marts.funnel_conversion") == [("run-2", 5)]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select distinct _published_run_id from marts__prev.funnel_conversion").fetchall() \
            == [("run-1",)]
        assert "swap_lock_seconds" in conn.execute(
            "select timings from audit.publications where run_id = 'run-2'").fetchone()[0]


def test_failed_check_or_error_withholds_and_leaves_marts_identical(dsn: str) -> None:
    build_shadow(dsn, 1)
    assert publish.publish_shadow(dsn, "run-1", None, [PASSED]).published
    before = digest(dsn)
    build_shadow(dsn, 99)
    pub = publish.publish_shadow(dsn, "run-2", "dag-2", [PASSED, FAILED])
    assert not pub.published
    assert digest(dsn) == before
    assert as_bi_reader(dsn, "select distinct _published_run_id from marts.funnel_conversion") == [("run-1",)]
    # an exception (e.g. dbt failed) and a run whose marts were never validated are withheld too
    assert publish.publish_shadow(dsn, "run-3", None, [], error="dbt build failed").decision == "withheld"
    assert publish.publish_shadow(dsn, "run-4", None, []).decision == "withheld"
    assert digest(dsn) == before
    rows = {r["run_id"]: r for r in publish.history(dsn)}
    assert rows["run-2"]["decision"] == "withheld"
    assert rows["run-2"]["failed_expectations"] == FAILED["failed_critical_expectations"]
    assert rows["run-3"]["reason"] == "dbt build failed"
    assert publish.live_run(dsn)["run_id"] == "run-1"


def test_publications_are_append_only(dsn: str) -> None:
    build_shadow(dsn, 1)
    publish.publish_shadow(dsn, "run-1", None, [PASSED])
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("update audit.publications set decision = 'withheld'")


def test_failed_critical_reads_both_summary_forms() -> None:
    """The DAG's XCom carries the summary's dataclass form and its to_dict() keys."""
    as_dataclass = {"run_id": "r", "outcomes": [{"suite": "marts_funnel", "asset": "marts.funnel_conversion",
                    "results": [{"success": False, "severity": "critical", "column": "conversion_rate",
                                 "expectation_type": "expect_column_values_to_be_between"},
                                {"success": False, "severity": "warning", "expectation_type": "x"}]}]}
    assert publish.failed_critical(as_dataclass) == [
        "marts_funnel on marts.funnel_conversion: expect_column_values_to_be_between column conversion_rate"]
    assert publish.failed_critical(FAILED) == FAILED["failed_critical_expectations"]
    assert publish.failed_critical(PASSED) == []


def _index(docs: Path) -> tuple[str, dict[str, str]]:
    """The Data Docs index's live-run banner and its row per validation run."""
    page = (docs / "index.html").read_text()
    banner = re.search(r"<div[^>]*id='live-run'>(.*?)</div>", page, re.S)
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr><td><a href="runs/([^/]+)/index.html">.*?</tr>', page)}
    return (banner.group(1) if banner else ""), rows


def test_data_docs_index_and_run_report_name_the_live_run(dsn: str, tmp_path: Path) -> None:
    from funnelhouse.report import build_report

    docs = tmp_path / "data_docs"
    for gx, ok, started in (("gx-ok", True, "2026-01-01T00:00:00"), ("gx-bad", False, "2026-01-02T00:00:00")):
        (docs / "runs" / gx).mkdir(parents=True)  # what expectations/docs.py keeps per validation run
        (docs / "runs" / gx / "run.json").write_text(json.dumps(
            {"run_id": gx, "started_at": started, "success": ok, "layer": "staging,marts"}))
    build_shadow(dsn, 1)
    assert publish.publish_shadow(dsn, "run-1", "dag-1", [PASSED]).published
    build_shadow(dsn, 2)
    assert not publish.publish_shadow(dsn, "run-2", "dag-2", [FAILED]).published
    publish.show_in_data_docs(dsn, docs)
    banner, rows = _index(docs)
    assert "run-1" in banner and "gx-ok" in banner and "run-2" not in banner, banner
    assert "live: run-1" in rows["gx-ok"] and "withheld run-2" in rows["gx-bad"], rows
    report = build_report(dsn, tmp_path / "report", data_docs="")
    facts = json.loads((tmp_path / "report" / "facts.json").read_text())["publication"]
    assert facts["live_run_id"] == "run-1" and facts["marts_run_ids"] == ["run-1"]
    assert [(r["run_id"], r["decision"]) for r in facts["recent"]] == [("run-2", "withheld"), ("run-1", "published")]
    page = report.read_text()
    assert "Publication: what BI reads" in page and "Live now: run run-1" in page
    # the next publication moves both: the index and the report name run-3, run-1 is replaced
    build_shadow(dsn, 3)
    assert publish.publish_shadow(dsn, "run-3", None, [PASSED | {"run_id": "gx-3"}]).published
    publish.show_in_data_docs(dsn, docs)
    banner, rows = _index(docs)
    assert "run-3" in banner and "gx-3" in banner and "run-1" not in banner, banner
    assert "published run-1, replaced" in rows["gx-ok"] and "withheld run-2" in rows["gx-bad"], rows
    build_report(dsn, tmp_path / "report", data_docs="")
    facts = json.loads((tmp_path / "report" / "facts.json").read_text())["publication"]
    assert facts["live_run_id"] == "run-3" and facts["marts_run_ids"] == ["run-3"]


def test_swap_held_off_by_bi_sessions_is_withheld(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A BI session holding a live mart through every try and the lock timeout: withheld, nothing changed."""
    build_shadow(dsn, 1)
    assert publish.publish_shadow(dsn, "run-1", None, [PASSED]).published
    before = digest(dsn)
    build_shadow(dsn, 2)
    monkeypatch.setattr(publish, "_SWAP_TRIES", 3)
    monkeypatch.setattr(publish, "_LOCK_TIMEOUT", "300ms")
    with psycopg.connect(dsn) as bi:  # a transaction: its ACCESS SHARE lock stays until it ends
        bi.execute("set role bi_reader")
        bi.execute("select count(*) from marts.funnel_conversion")
        pub = publish.publish_shadow(dsn, "run-2", None, [PASSED])
        assert bi.execute("select distinct _published_run_id from marts.fct_opportunities").fetchall() == [("run-1",)]
    assert pub.decision == "withheld" and "could not lock the live marts" in pub.reason, pub.reason
    assert digest(dsn) == before
    assert [(r["run_id"], r["decision"]) for r in publish.history(dsn)] == [
        ("run-2", "withheld"), ("run-1", "published")]
    assert publish.live_run(dsn)["run_id"] == "run-1"
