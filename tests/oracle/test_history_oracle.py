"""Oracle tests for the history marts (METRICS §5): pipeline_snapshots, pipeline_waterfall and
forecast_accuracy against tests/oracle/history_oracle.py, an independent Python implementation over the
records the emulators served (the world's dataset files) and the generator's ground truth. Counts and
keys exactly; money and probabilities within 1e-9. The waterfall identity is asserted on every week."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.attribution import truth  # noqa: E402
from tests.oracle.history_oracle import History  # noqa: E402
from tests.support.compare import close  # noqa: E402
from tests.support.worlds import BuiltWorld  # noqa: E402

#: the history marts and everything upstream of them (no other mart)
HISTORY_SELECT = ("+path:models/marts/history",)
WORLDS = [pytest.param((11, 700, "default"), id="seed11"), pytest.param((5, 700, "heavy"), id="heavy-mess")]
WATERFALL = ("opening_amount", "created_amount", "reopened_amount", "won_amount", "lost_amount", "removed_amount",
             "amount_change", "closing_amount", "slipped_amount")
COUNTS = ("opening_count", "created_count", "won_count", "lost_count", "closing_count")


@pytest.fixture(scope="module", params=WORLDS)
def world(request, worlds) -> BuiltWorld:
    return worlds.built(*request.param, select=HISTORY_SELECT)


@pytest.fixture(scope="module")
def history(world: BuiltWorld) -> History:
    return History([world.dataset], world.as_of)


def identity_holds(r: dict) -> bool:
    return (r["opening_amount"] + r["created_amount"] + r["reopened_amount"] - r["won_amount"] - r["lost_amount"]
            - r["removed_amount"] + r["amount_change"]) == r["closing_amount"]


def test_pipeline_snapshots(world: BuiltWorld, history: History):
    expected = history.snapshots()
    rows = world.fetch("select * from marts.pipeline_snapshots")
    actual = {(r["snapshot_week"], r["opportunity_id"]): r for r in rows}
    assert len(actual) == len(rows)
    missing, extra = set(expected) - set(actual), set(actual) - set(expected)
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    bad = []
    for key, e in expected.items():
        a = actual[key]
        for col in ("stage", "is_closed", "is_won", "close_date"):
            if a[col] != e[col]:
                bad.append((key, col, a[col], e[col]))
        for col in ("amount_corporate", "probability"):
            if not close(a[col], e[col]):
                bad.append((key, col, a[col], e[col]))
    assert not bad, bad[:10]
    weeks = sorted({w for w, _ in expected})
    assert all(w.weekday() == 0 for w in weeks)
    assert sum(1 for e in expected.values() if e["is_closed"]) > 0 and len(weeks) > 50
    # the current week is the as-of week; owners are those of fct_opportunities' owners (they never change)
    assert max(weeks) == history.weeks()[-1]
    owners = {r["opportunity_id"]: r["owner_id"] for r in world.fetch("select opportunity_id, owner_id from "
                                                                       "intermediate.int_opportunities")}
    assert all(r["owner_id"] == owners[r["opportunity_id"]] for r in rows if r["opportunity_id"] in owners)


def test_pipeline_waterfall(world: BuiltWorld, history: History):
    expected = history.waterfall()
    rows = world.fetch("select * from marts.pipeline_waterfall order by snapshot_week")
    actual = {r["snapshot_week"]: r for r in rows}
    assert set(actual) == set(expected) and len(rows) == len(actual)
    bad = [(w, c, actual[w][c], e.get(c, 0)) for w, e in expected.items() for c in WATERFALL + COUNTS
           if not close(float(actual[w][c]), e.get(c, 0), 1e-9)]
    assert not bad, bad[:10]
    # the identity, exactly (numeric), on every week; and each week opens where the previous one closed
    assert all(identity_holds(r) for r in rows), [r["snapshot_week"] for r in rows if not identity_holds(r)][:5]
    assert all(b["opening_amount"] == a["closing_amount"] for a, b in zip(rows, rows[1:], strict=False))
    # one extraction: every record has one version, so amounts and close dates never change between week
    # ends here (test_history_incremental.py advances the world for those)
    for col in ("created_amount", "won_amount", "lost_amount"):
        assert any(r[col] for r in rows), f"no week exercises {col}"


def test_forecast_accuracy(world: BuiltWorld, history: History):
    expected = history.forecast_accuracy(truth.read(world.dataset, "opportunities"))
    rows = world.fetch("select * from marts.forecast_accuracy")
    actual = {(r["close_month"], r["weeks_before"]): r for r in rows}
    assert set(actual) == set(expected) and len(rows) == len(actual)
    bad = [(k, c, actual[k][c], e[c]) for k, e in expected.items()
           for c in ("forecast_amount", "actual_won_amount", "abs_pct_error")
           if not close(None if actual[k][c] is None else float(actual[k][c]), e[c])]
    assert not bad, bad[:10]
    assert all(actual[k]["snapshot_at"] == e["snapshot_at"] for k, e in expected.items())
    assert {k for _, k in actual} == set(range(13))
    assert any(isinstance(m, date) and r["abs_pct_error"] is not None for (m, _), r in actual.items())
