"""Oracle tests for the attribution marts: on sandbox worlds of two seeds, an independent Python
implementation of docs/metrics.md section 3 (tests/attribution/oracle.py) computed from the upstream facts must
agree with `attribution_touchpoint_credit` within 1e-9 per (opportunity, touchpoint, model), cover the
same rows, and agree with `attribution_campaign` (with its unattributed row); totals reconcile."""

from __future__ import annotations

import sys

import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.attribution import oracle  # noqa: E402
from tests.support.compare import close  # noqa: E402
from tests.support.worlds import BuiltWorld  # noqa: E402

WORLDS = [pytest.param((11, 700, "default"), id="seed11"), pytest.param((23, 900, "default"), id="seed23"),
          pytest.param((5, 700, "heavy"), id="heavy-mess")]
TOL = 1e-9


@pytest.fixture(scope="module", params=WORLDS)
def world(request, worlds) -> BuiltWorld:
    return worlds.built(*request.param)


def upstream_journeys(world: BuiltWorld) -> list[oracle.Journey]:
    return oracle.build_journeys(
        world.fetch("select * from marts.fct_opportunities"),
        world.fetch("select opportunity_id, person_id from marts.fct_opportunity_people"),
        world.fetch("select person_id, created_at from marts.dim_people"),
        world.fetch("select * from marts.fct_touchpoints"),
        world.as_of,
    )



def test_touchpoint_credit_matches_oracle(world: BuiltWorld):
    expected = oracle.touchpoint_credits(upstream_journeys(world))
    rows = world.fetch("select * from marts.attribution_touchpoint_credit")
    actual = {(r["opportunity_id"], r["touchpoint_id"], r["model"]): r for r in rows}
    assert len(actual) == len(rows), "duplicate (opportunity, touchpoint, model) rows"
    assert set(actual) == set(expected), (
        f"missing {sorted(set(expected) - set(actual))[:5]}, extra {sorted(set(actual) - set(expected))[:5]}")
    bad = [(k, col, actual[k][col], e[col]) for k, e in expected.items()
           for col in ("credit", "attributed_pipeline", "attributed_revenue")
           if not close(actual[k][col], e[col], TOL if col == "credit" else 1e-9)]
    assert not bad, f"{len(bad)} cells differ, e.g. {bad[:5]}"
    assert all(actual[k]["campaign_id"] == e["campaign_id"] and actual[k]["channel"] == e["channel"]
               for k, e in expected.items())
    # the world exercises the interesting cases, not just single-touch journeys
    lengths = {r["touch_count"] for r in rows}
    assert max(lengths) >= 5


def test_every_model_sums_to_one_per_opportunity(world: BuiltWorld):
    rows = world.fetch("select opportunity_id, model, sum(credit) as total, count(*) as n"
                       " from marts.attribution_touchpoint_credit group by 1, 2")
    assert {r["model"] for r in rows} == set(oracle.MODELS)
    assert all(abs(r["total"] - 1) < TOL for r in rows)


def test_attribution_campaign_matches_oracle_and_reconciles(world: BuiltWorld):
    journeys = upstream_journeys(world)
    credits = oracle.touchpoint_credits(journeys)
    cost = {r["campaign_id"]: (float(r["cost"]) if r["cost"] is not None else None)
            for r in world.fetch("select campaign_id, cost from marts.dim_campaigns")}
    expected = oracle.campaign_attribution(journeys, credits, cost)
    rows = world.fetch("select * from marts.attribution_campaign")
    actual = {(r["model"], r["campaign_id"]): r for r in rows}
    assert set(actual) == set(expected)
    cols = ("attributed_opportunities", "attributed_pipeline", "attributed_won_opportunities",
            "attributed_revenue", "campaign_cost", "roi")
    bad = [(k, c, actual[k][c], e[c]) for k, e in expected.items() for c in cols
           if not close(actual[k][c], e[c], 1e-7)]
    assert not bad, bad[:5]
    totals = world.fetch("select coalesce(sum(amount_corporate) filter (where is_won), 0) as won,"
                         " coalesce(sum(amount_corporate), 0) as total, count(*) as n from marts.fct_opportunities")[0]
    for model in oracle.MODELS:
        mine = [r for r in rows if r["model"] == model]
        assert close(sum(r["attributed_revenue"] for r in mine), totals["won"], 1e-9)
        assert close(sum(r["attributed_pipeline"] for r in mine), totals["total"], 1e-9)
        assert close(sum(r["attributed_opportunities"] for r in mine), totals["n"], 1e-9)


def test_a_custom_model_is_a_seed_row(world: BuiltWorld):
    """A user adds a position-based model by adding a row to attribution_model_weights.csv and running
    `dbt seed` + the models: no SQL. Simulated on the loaded seed table (then restored)."""
    import psycopg

    custom = ("custom_ft_oc_lt", "position", 0.5, 0, 0.25, 0, 0.15, 0.1, "between")
    weights, middle = {"FT": 0.5, "OC": 0.25, "LT": 0.15}, 0.1

    def rebuild() -> None:
        result = world.dbt(["run", "--select", "attribution_touchpoint_credit"])
        assert result.success, result.failures

    with psycopg.connect(world.dsn, autocommit=True) as conn:
        conn.execute("insert into seeds.attribution_model_weights values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     custom)
    try:
        rebuild()
        rows = world.fetch("select opportunity_id, touchpoint_id, credit from marts.attribution_touchpoint_credit"
                           " where model = %s", (custom[0],))
        actual = {(r["opportunity_id"], r["touchpoint_id"]): r["credit"] for r in rows}
        expected = {}
        for j in upstream_journeys(world):
            if j.touches:
                for t, c in zip(j.touches, oracle.position_credits(j, weights, middle), strict=True):
                    expected[(j.opportunity_id, t.touchpoint_id)] = c
        assert set(actual) == set(expected)
        assert all(close(actual[k], v) for k, v in expected.items())
    finally:
        with psycopg.connect(world.dsn, autocommit=True) as conn:
            conn.execute("delete from seeds.attribution_model_weights where model = %s", (custom[0],))
        rebuild()
