"""The credit engine on journeys with thousands of touches, same-time ties and mixed-case ids: upstream
facts written directly (no sandbox), the two attribution models run with dbt, every credit compared with
the independent oracle (tests/attribution/oracle.py) within 1e-9."""

from __future__ import annotations

import math
import random
import sys
from datetime import UTC, datetime, timedelta

import psycopg

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.dbt import run_dbt

sys.path.insert(0, str(PROJECT_ROOT))
from tests.attribution import oracle  # noqa: E402

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)


def test_thousands_of_touches_with_ties(make_database, tmp_path):
    dsn = make_database("attr_long")
    rnd = random.Random(5)
    people = [(f"p{i}", datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rnd.randint(0, 300))) for i in range(6)]
    opportunities = [
        # id, created_at, closed_at, is_closed, is_won, amount
        ("o_long_won", datetime(2024, 11, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC), True, True, 50000),
        ("o_long_open", datetime(2024, 12, 1, tzinfo=UTC), None, False, False, 20000),
        ("o_lost", datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 9, 1, tzinfo=UTC), True, False, 7000),
        ("o_no_touch", datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 2, 1, tzinfo=UTC), True, True, 1000),
    ]
    on_opp = [("o_long_won", "p0"), ("o_long_won", "p1"), ("o_long_won", "p2"), ("o_long_open", "p2"),
              ("o_long_open", "p3"), ("o_lost", "p4"), ("o_lost", "p4"), ("o_no_touch", "p5")]
    touches = []
    start = datetime(2023, 10, 1, tzinfo=UTC)
    for n in range(6000):
        person = f"p{rnd.randrange(5)}"
        # whole hours, so many touches share a time: ties are ordered by touchpoint_id (code points)
        at = start + timedelta(hours=rnd.randrange(20 * 24 * 30))
        tid = rnd.choice(["T", "t", "a", "B", "_"]) + f"{n:05d}"
        touches.append((tid, person, at, rnd.choice(["c1", "C2", None]), rnd.choice(["email", "event"])))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_people (person_id text, created_at timestamptz)")
        conn.execute("create table marts.fct_opportunities (opportunity_id text, created_at timestamptz,"
                     " closed_at timestamptz, close_date date, is_closed boolean, is_won boolean, amount numeric,"
                     " amount_corporate numeric)")
        conn.execute("create table marts.fct_opportunity_people (opportunity_id text, person_id text, role text,"
                     " is_primary boolean)")
        conn.execute("create table marts.fct_touchpoints (touchpoint_id text, person_id text, touched_at timestamptz,"
                     " campaign_id text, channel text, source_system text, touch_type text)")
        with conn.cursor() as cur:
            cur.executemany("insert into marts.dim_people values (%s, %s)", people)
            cur.executemany("insert into marts.fct_opportunities values (%s, %s, %s, %s, %s, %s, %s, %s)",
                            [(o[0], o[1], o[2], o[2].date() if o[2] else None, *o[3:], o[-1])
                             for o in opportunities])
            cur.executemany("insert into marts.fct_opportunity_people values (%s, %s, 'r', false)", on_opp)
            cur.executemany("insert into marts.fct_touchpoints values (%s, %s, %s, %s, %s, 'salesforce', 'x')",
                            touches)
    target = tmp_path / "target"
    for args in (["seed", "--select", "attribution_model_weights"],
                 ["run", "--select", "int_attribution__journeys", "attribution_touchpoint_credit"]):
        result = run_dbt(args, dsn, vars={"as_of": AS_OF.isoformat()}, target_dir=target)
        assert result.success, result.failures

    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        fetch = lambda sql: cur.execute(sql).fetchall()  # noqa: E731
        journeys = oracle.build_journeys(fetch("select * from marts.fct_opportunities"),
                                         fetch("select * from marts.fct_opportunity_people"),
                                         fetch("select * from marts.dim_people"),
                                         fetch("select * from marts.fct_touchpoints"), AS_OF)
        rows = fetch("select * from marts.attribution_touchpoint_credit")
    expected = oracle.touchpoint_credits(journeys)
    actual = {(r["opportunity_id"], r["touchpoint_id"], r["model"]): r for r in rows}
    assert set(actual) == set(expected)
    assert all(math.isclose(actual[k]["credit"], e["credit"], rel_tol=1e-9, abs_tol=1e-9) for k, e in expected.items())
    lengths = {j.opportunity_id: len(j.touches) for j in journeys}
    assert lengths["o_long_won"] > 2000 and lengths["o_long_open"] > 1000 and lengths["o_no_touch"] == 0
    # positions follow (touched_at, touchpoint_id) in code-point order, ties included
    by_id = {(r["opportunity_id"], r["touchpoint_id"]): r["touch_position"] for r in rows if r["model"] == "linear"}
    for j in journeys:
        assert [by_id[(j.opportunity_id, t.touchpoint_id)] for t in j.touches] == list(range(1, len(j.touches) + 1))
