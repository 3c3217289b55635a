"""The history marts incremental by week: extract a world and build; `sandbox advance` it, extract again
incrementally and build incrementally; the history marts must equal a --full-refresh build of the same raw
layer, the incremental run must have rewritten only the latest weeks (not the whole history), and the result
must still match the independent oracle over both extractions (tests/oracle/history_oracle.py). On a default
world and on a `--mess heavy` one (multi-currency amounts, reopened deals, merges: every real-org knob)."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from datetime import datetime

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.oracle.history_oracle import History  # noqa: E402
from tests.oracle.test_history_oracle import COUNTS, HISTORY_SELECT, WATERFALL, identity_holds  # noqa: E402
from tests.support.compare import close  # noqa: E402
from tests.support.extract import DAYS_LATER, extract_world  # noqa: E402
from tests.support.warehouse import fetch  # noqa: E402
from tests.support.worlds import dbt_build, world_clock  # noqa: E402

MARTS = ["pipeline_snapshots", "pipeline_waterfall", "forecast_accuracy"]


def snapshot(dsn: str) -> dict[str, list[tuple]]:
    out = {}
    with psycopg.connect(dsn) as conn:
        for mart in MARTS:
            out[mart] = sorted(conn.execute(f"select * from marts.{mart}").fetchall(), key=repr)
        # the watermark column differs by construction (weeks not rebuilt keep the build that wrote them)
        out["int_pipeline_snapshots"] = sorted(conn.execute(
            "select to_jsonb(s) - '_source_extracted_at' from intermediate.int_pipeline_snapshots s").fetchall(),
            key=repr)
    return out


@pytest.fixture(scope="module", params=[pytest.param("default", id="seed31"),
                                        pytest.param("heavy", id="seed31-heavy")])
def advanced(request, tmp_path_factory, make_database, worlds):
    from sandbox.world import advance

    root = tmp_path_factory.mktemp("history_incremental")
    dataset = worlds.private_dataset(31, 500, root, mess=request.param)  # advanced below: a copy of its own
    first = shutil.copytree(dataset, root / "first_extraction")  # what the first extraction was served
    dsn = make_database("history_incremental")
    extract_world(dataset, dsn, root / "state")
    dbt_build(dsn, dataset, root / "target", HISTORY_SELECT)
    weeks_before = fetch(dsn, "select count(*) as n from marts.pipeline_waterfall")[0]["n"]
    advance(dataset, 12)
    # the formula refresh stays on its daily period here: forced on a heavy org it stores a new version of
    # most opportunities (Days_Open__c moved), and the weekly history rebuilds from the oldest of them
    # (447 of 650 snapshot rows, measured) -- a cost of formula passthrough noted in issue 16, not tested away
    extract_world(dataset, dsn, root / "state", replace(DAYS_LATER, formula_refresh_hours=24.0))
    messages = dbt_build(dsn, dataset, root / "target", HISTORY_SELECT)
    incremental = snapshot(dsn)
    rebuilt = fetch(dsn, "select count(distinct snapshot_week) as n from intermediate.int_pipeline_snapshots "
                         "where _source_extracted_at = (select max(_source_extracted_at) "
                         "from intermediate.int_pipeline_snapshots)")[0]["n"]
    dbt_build(dsn, dataset, root / "target", HISTORY_SELECT, full_refresh=True)
    as_of = datetime.fromisoformat(world_clock(dataset).replace("Z", "+00:00"))
    return dsn, [first, dataset], as_of, incremental, snapshot(dsn), messages, weeks_before, rebuilt


def test_incremental_equals_full_refresh(advanced):
    _dsn, _snaps, _as_of, incremental, full, _messages, _before, _rebuilt = advanced
    for name in [*MARTS, "int_pipeline_snapshots"]:
        assert incremental[name] == full[name], name


def test_incremental_run_rewrites_only_the_latest_weeks(advanced):
    """The incremental run inserted the weeks from the earliest change on, not two years of weeks."""
    _dsn, _snaps, _as_of, incremental, _full, messages, weeks_before, rebuilt = advanced
    weeks_after = len(incremental["pipeline_waterfall"])
    assert weeks_after >= weeks_before + 1, (weeks_before, weeks_after)
    status = messages["int_pipeline_snapshots"].split()
    assert status[0] == "INSERT", messages["int_pipeline_snapshots"]
    assert 0 < int(status[-1]) < len(incremental["int_pipeline_snapshots"]) / 4, messages["int_pipeline_snapshots"]
    assert 2 <= rebuilt < weeks_after / 4, (rebuilt, weeks_after)


def test_advanced_world_matches_oracle(advanced):
    dsn, snaps, as_of, _incremental, _full, _messages, _before, _rebuilt = advanced
    history = History(snaps, as_of)
    expected = history.snapshots()
    rows = fetch(dsn, "select * from marts.pipeline_snapshots")
    actual = {(r["snapshot_week"], r["opportunity_id"]): r for r in rows}
    missing, extra = set(expected) - set(actual), set(actual) - set(expected)
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    bad = [(k, c, actual[k][c], e[c]) for k, e in expected.items() for c in e
           if not (close(actual[k][c], e[c]) if c in ("amount_corporate", "probability") else actual[k][c] == e[c])]
    assert not bad, bad[:10]
    waterfall = {r["snapshot_week"]: r for r in fetch(dsn, "select * from marts.pipeline_waterfall")}
    wanted = history.waterfall()
    assert set(waterfall) == set(wanted)
    bad = [(w, c, waterfall[w][c], e.get(c, 0)) for w, e in wanted.items() for c in WATERFALL + COUNTS
           if not close(float(waterfall[w][c]), e.get(c, 0))]
    assert not bad, bad[:10]
    assert all(identity_holds(r) for r in waterfall.values())
    # the second extraction stored new versions of opportunities that moved on (the states above use both)
    assert fetch(dsn, "select count(*) as n from intermediate.int_opportunity_versions where version_index > 1")[0]["n"]
    moved = fetch(dsn, "select count(*) as n from intermediate.int_pipeline_snapshots where was_open and is_open "
                       "and (close_date <> previous_close_date or stage <> previous_stage)")[0]["n"]
    assert moved > 0
