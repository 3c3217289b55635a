"""The credit model reads the weights seed when it is compiled (one credit column per model, weights as
constants): it compiles before the seed exists, a run picks up an edited seed, and SQL compiled from
an older seed refuses to run rather than write credits of weights that are no longer there."""

from __future__ import annotations

import psycopg
import pytest

from funnelhouse.dbt import run_dbt

AS_OF = "2025-06-01T00:00:00+00:00"


def _compiled(target) -> str:
    return next((target / "compiled").rglob("attribution_touchpoint_credit.sql")).read_text()


def _credits(dsn: str, model: str) -> dict[str, float]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select touchpoint_id, credit from marts.attribution_touchpoint_credit where model = %s",
                            (model,)).fetchall()
    return dict(rows)


def test_weights_compiled_in_and_checked_against_the_seed(make_database, tmp_path):
    dsn = make_database("attr_weights")
    target = tmp_path / "target"

    # a fresh database (no seed table yet): compiles, to no models
    result = run_dbt(["compile", "--select", "attribution_touchpoint_credit"], dsn, vars={"as_of": AS_OF},
                     target_dir=target)
    assert result.success, result.failures
    assert "the seed had no rows when this model was compiled" in _compiled(target)

    # one open opportunity, its person created on Mar 10, the opportunity on Mar 20; touches on
    # Mar 1 (FT), 5, 10 (LC), 15, 20 (OC): W-shaped .3, .05, .3, .05, .3
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_people as select 'p1'::text as person_id,"
                     " timestamptz '2024-03-10' as created_at")
        conn.execute("create table marts.fct_opportunities as select 'o1'::text as opportunity_id,"
                     " timestamptz '2024-03-20' as created_at, null::timestamptz as closed_at,"
                     " null::date as close_date, false as is_closed, false as is_won, 100::numeric as amount,"
                         " 100::numeric as amount_corporate")
        conn.execute("create table marts.fct_opportunity_people as select 'o1'::text as opportunity_id,"
                     " 'p1'::text as person_id, 'r'::text as role, true as is_primary")
        conn.execute("create table marts.fct_touchpoints as select 't' || d as touchpoint_id, 'p1'::text as person_id,"
                     " timestamptz '2024-03-01' + (d - 1) * interval '1 day' as touched_at, 'c1'::text as campaign_id,"
                     " 'email'::text as channel, 'salesforce'::text as source_system, 'x'::text as touch_type"
                     " from unnest(array[1, 5, 10, 15, 20]) as d")
    for args in (["seed", "--select", "attribution_model_weights"],
                 ["run", "--select", "int_attribution__journeys", "attribution_touchpoint_credit"]):
        result = run_dbt(args, dsn, vars={"as_of": AS_OF}, target_dir=target)
        assert result.success, result.failures
    w_shaped = _credits(dsn, "w_shaped")
    assert w_shaped == pytest.approx({"t1": 0.3, "t5": 0.05, "t10": 0.3, "t15": 0.05, "t20": 0.3}, abs=1e-12)
    compiled = _compiled(target)

    # the seed is edited: the SQL compiled from the old rows refuses to run ...
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("update seeds.attribution_model_weights set ft_weight = 0.5, lc_weight = 0.1"
                     " where model = 'w_shaped'")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation, match="recompile"):
            conn.execute(f"create temporary table stale as {compiled}")

    # ... and the next run compiles the new weights in: FT .5, m .05, LC .1, m .05, OC .3
    result = run_dbt(["run", "--select", "attribution_touchpoint_credit"], dsn, vars={"as_of": AS_OF},
                     target_dir=target)
    assert result.success, result.failures
    assert _credits(dsn, "w_shaped") == pytest.approx(
        {"t1": 0.5, "t5": 0.05, "t10": 0.1, "t15": 0.05, "t20": 0.3}, abs=1e-12)
