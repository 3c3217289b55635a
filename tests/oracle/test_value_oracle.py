"""Oracle tests for the value marts: customer_lifetime_value and clv_cohorts against the world's ground
truth (truth/opportunities.jsonl, companies matched on their domain), revenue_breakdown against a Python
aggregation of the won opportunities, their line items and their journeys' first touches."""

from __future__ import annotations

import sys
from collections import defaultdict

import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.attribution import oracle, truth  # noqa: E402
from tests.support.compare import close  # noqa: E402
from tests.support.worlds import BuiltWorld  # noqa: E402

WORLDS = [pytest.param((11, 700, "default"), id="seed11"), pytest.param((23, 900, "default"), id="seed23"),
          pytest.param((5, 700, "heavy"), id="heavy-mess")]


@pytest.fixture(scope="module", params=WORLDS)
def world(request, worlds) -> BuiltWorld:
    return worlds.built(*request.param)



def customers(world: BuiltWorld) -> dict[str, dict]:
    domains = {r["domain"]: r["company_id"] for r in world.fetch("select company_id, domain from marts.dim_companies")}
    return truth.customer_values(truth.read(world.dataset, "opportunities"), truth.read(world.dataset, "people"),
                                 domains, world.as_of)


def test_customer_lifetime_value(world: BuiltWorld):
    expected = customers(world)
    actual = {r["company_id"]: r for r in world.fetch("select * from marts.customer_lifetime_value")}
    assert expected and set(actual) == set(expected)
    for company, e in expected.items():
        a = actual[company]
        assert a["first_won_at"] == e["first_won_at"] and a["last_won_at"] == e["last_won_at"], company
        assert a["won_deals"] == e["won_deals"], company
        for col in ("lifetime_revenue", "avg_deal_size", "tenure_days"):
            assert close(a[col], e[col]), (company, col, a[col], e[col])
    assert any(e["won_deals"] > 1 for e in expected.values()), "no repeat customer to exercise the sums"


def test_clv_cohorts(world: BuiltWorld):
    expected = truth.clv_cohorts(customers(world), world.as_of)
    actual = {(r["cohort_quarter"], r["months_since_first_win"]): r
              for r in world.fetch("select * from marts.clv_cohorts")}
    assert set(actual) == set(expected)
    bad = [(k, c) for k, e in expected.items() for c in e if not close(actual[k][c], e[c])]
    assert not bad, bad[:5]
    # cumulative revenue never decreases within a cohort
    by_cohort = defaultdict(list)
    for (q, _), r in sorted(actual.items()):
        by_cohort[q].append(r["cumulative_revenue"])
    assert all(v == sorted(v) for v in by_cohort.values())


def test_revenue_breakdown(world: BuiltWorld):
    opportunities = world.fetch("select * from marts.fct_opportunities")
    journeys = oracle.build_journeys(
        opportunities,
        world.fetch("select opportunity_id, person_id from marts.fct_opportunity_people"),
        world.fetch("select person_id, created_at from marts.dim_people"),
        world.fetch("select * from marts.fct_touchpoints"),
        world.as_of,
    )
    first_channel = {j.opportunity_id: (j.touches[0].channel or "unknown") if j.touches else "unknown"
                     for j in journeys}
    # line items are in their opportunity's currency: the generator's rate (truth amount_corporate / amount)
    rate = {o["source_id"]: (float(o["amount_corporate"]) / float(o["amount"]))
            if o.get("amount") and o.get("amount_corporate") is not None else 1.0
            for o in truth.read(world.dataset, "opportunities")}
    source_of = {o["opportunity_id"]: o["source_id"] for o in opportunities}
    items = defaultdict(lambda: defaultdict(float))
    for r in world.fetch("select opportunity_id, product_family, line_amount"
                         " from intermediate.int_opportunity_line_items"):
        items[r["opportunity_id"]][r["product_family"] or "unspecified"] += (
            float(r["line_amount"] or 0) * rate.get(source_of.get(r["opportunity_id"]), 1.0))
    expected: dict[tuple, dict] = defaultdict(lambda: {"won_count": 0, "won_amount": 0.0})
    for o in opportunities:
        if not o["is_won"]:
            continue
        products = items.get(o["opportunity_id"]) or {"unspecified": float(o["amount_corporate"] or 0)}
        for product, amount in products.items():
            cell = expected[(truth.month(o["close_date"]), product, o["region"] or "unspecified",
                             first_channel[o["opportunity_id"]])]
            cell["won_count"] += 1
            cell["won_amount"] += amount
    actual = {(r["close_month"], r["product"], r["region"], r["channel"]): r
              for r in world.fetch("select * from marts.revenue_breakdown")}
    assert set(actual) == set(expected)
    bad = [(k, c) for k, e in expected.items() for c in e if not close(actual[k][c], e[c])]
    assert not bad, bad[:5]
    assert len({k[1] for k in expected}) >= 3
