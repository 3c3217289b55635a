"""The semantic layer answers what the marts answer: every metric of dbt_project/models/semantic, queried
through MetricFlow's engine by its main dimensions on a sandbox world, equals the same numbers read from
the marts (counts exactly, rates and money to 1e-9). Plus `mf validate-configs` and `mf query` through
the `funnelhouse metrics` wrapper, which is what a user runs."""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import pytest

from funnelhouse.core.paths import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.semantic.world import World  # noqa: E402

COUNT, MONEY = "count", "money"


def key(value):
    """MetricFlow returns time groups as timestamps, the marts as dates: compare as dates."""
    if isinstance(value, datetime):
        return value.date()
    return value


def equal(kind: str, a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if kind == COUNT:
        return int(a) == int(b) and float(a) == float(b)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def assert_same(mf_rows: Iterable[dict], mart_rows: Iterable[dict], keys: dict[str, str],
                columns: dict[str, tuple[str, str]], absent_is_zero: bool = False) -> int:
    """MetricFlow rows (keyed by group-by names) equal mart rows (keyed by mart columns), metric by metric.
    `keys`: MetricFlow group-by -> mart column; `columns`: metric -> (mart column, COUNT | MONEY).
    absent_is_zero: a group one side lacks must be all zeros on the other (a filtered metric has no row for
    a group with none of its records; a mart may keep that group with 0)."""
    def index(rows, names):
        out = {}
        for row in rows:
            k = tuple(key(row[n]) for n in names)
            assert k not in out, f"duplicate group {k}"
            out[k] = row
        return out

    mf = index(mf_rows, list(keys))
    mart = index(mart_rows, list(keys.values()))
    assert mart, "the mart is empty: nothing was compared"
    if not absent_is_zero:
        assert set(mf) == set(mart), (sorted(set(mf) ^ set(mart), key=str)[:5])
    bad = []
    for k in set(mf) | set(mart):
        for metric, (column, kind) in columns.items():
            a = mf[k][metric] if k in mf else 0
            b = mart[k][column] if k in mart else 0
            if not equal(kind, a, b):
                bad.append((k, metric, a, b))
    assert not bad, f"{len(bad)} differences, e.g. {bad[:5]}"
    return len(mart)


def test_stage_volume(world: World):
    mf = world.mf(["stage_entries", "inferred_stage_entries"],
                  ["metric_time__month", "stage_entry__stage", "stage_entry__channel", "stage_entry__campaign_id"])
    n = assert_same(mf, world.fetch("select * from marts.funnel_stage_volume"),
                    {"metric_time__month": "month", "stage_entry__stage": "stage", "stage_entry__channel": "channel",
                     "stage_entry__campaign_id": "campaign_id"},
                    {"stage_entries": ("entered_count", COUNT), "inferred_stage_entries": ("entered_inferred_count",
                                                                                          COUNT)})
    assert n > 100
    # the per-stage metrics: the same volume, one stage each, on the person's own stage date
    for stage, metric in [("lead", "new_leads"), ("mql", "new_mqls"), ("sql", "new_sqls"),
                          ("opportunity", "new_opportunity_people"), ("customer", "new_customer_people")]:
        mart = world.fetch(f"select month, sum(entered_count) as n from marts.funnel_stage_volume"
                           f" where stage = '{stage}' group by month")
        rows = [r for r in world.mf([metric], ["metric_time__month"]) if r["metric_time__month"] is not None]
        assert_same(rows, mart, {"metric_time__month": "month"}, {metric: ("n", COUNT)})


PAIRS = [("lead", "mql"), ("mql", "sql"), ("sql", "opportunity"), ("opportunity", "customer"), ("lead", "customer")]


@pytest.mark.parametrize("group", ["channel", "campaign_id"])
@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_stage_conversion(world: World, pair: tuple[str, str], group: str):
    source, target = pair
    dimension = {"channel": "person__first_touch_channel", "campaign_id": "person__first_touch_campaign_id"}[group]
    mart = world.fetch(f"""
        select cohort_month, {group}, sum(cohort_count) as cohort, sum(converted_count) as converted,
               sum(converted_count)::double precision / nullif(sum(cohort_count), 0) as rate
        from marts.funnel_conversion where from_stage = '{source}' and to_stage = '{target}'
        group by 1, 2""")
    name = f"{source}_to_{target}"
    base = {"lead": "new_leads", "mql": "new_mqls", "sql": "new_sqls", "opportunity": "new_opportunity_people"}[source]
    rows = [r for r in world.mf([f"{name}_conversion_rate", f"{name}_conversions", base],
                                ["metric_time__month", dimension])
            if r["metric_time__month"] is not None]
    assert_same(rows, mart, {"metric_time__month": "cohort_month", dimension: group},
                {base: ("cohort", COUNT), f"{name}_conversions": ("converted", COUNT),
                 f"{name}_conversion_rate": ("rate", MONEY)})
    assert any(r[f"{name}_conversions"] for r in rows), "no conversion at all: the test would prove nothing"


WIN_RATE_DIMENSIONS = {
    "product": "opportunity__product_family", "team": "opportunity__team", "owner": "opportunity__owner_id",
    "campaign": "opportunity__primary_campaign_id", "competitor": "opportunity__competitor",
    "region": "opportunity__region", "source_system": "opportunity__source_system",
}
WIN_RATE_METRICS = {"won_deals": ("won_count", COUNT), "lost_deals": ("lost_count", COUNT),
                    "closed_deals": ("closed_count", COUNT), "closed_amount": ("closed_amount", MONEY),
                    "win_rate": ("win_rate", MONEY), "won_revenue": ("won_amount", MONEY),
                    "lost_amount": ("lost_amount", MONEY), "amount_win_rate": ("amount_win_rate", MONEY)}


@pytest.mark.parametrize("dimension", ["overall", *WIN_RATE_DIMENSIONS])
def test_win_rates(world: World, dimension: str):
    mart = world.fetch(f"select *, won_count + lost_count as closed_count, won_amount + lost_amount as closed_amount"
                       f" from marts.win_rates where dimension = '{dimension}'")
    group_by = ["metric_time__month"] + ([WIN_RATE_DIMENSIONS[dimension]] if dimension != "overall" else [])
    keys = {"metric_time__month": "close_month"}
    if dimension != "overall":
        keys[WIN_RATE_DIMENSIONS[dimension]] = "dimension_value"
    assert_same(world.mf(list(WIN_RATE_METRICS), group_by), mart, keys, WIN_RATE_METRICS)


def test_revenue_forecast(world: World):
    rows = [r for r in world.mf(["won_revenue", "open_deals", "open_pipeline", "weighted_pipeline",
                                 "revenue_forecast"], ["metric_time__month"])
            if r["metric_time__month"] is not None]
    # a month whose deals all closed lost has a mart row of zeros and no MetricFlow row (nothing to sum)
    assert_same(rows, world.fetch("select * from marts.revenue_forecast"), {"metric_time__month": "close_month"},
                {"won_revenue": ("won_amount", MONEY), "open_deals": ("open_count", COUNT),
                 "open_pipeline": ("open_amount", MONEY), "weighted_pipeline": ("weighted_open_amount", MONEY),
                 "revenue_forecast": ("forecast_amount", MONEY)}, absent_is_zero=True)
    # past months forecast their won revenue, future ones their weighted open pipeline: both sides are exercised
    assert sum(1 for r in rows if r["weighted_pipeline"]) >= 3 and sum(1 for r in rows if r["won_revenue"]) >= 12


def test_open_pipeline(world: World):
    mart = world.fetch("select stage, coalesce(owner_id, 'unspecified') as owner_id, open_count, open_amount,"
                       " weighted_amount from marts.open_pipeline")
    assert_same(world.mf(["open_deals", "open_pipeline", "weighted_pipeline"],
                         ["opportunity__stage", "opportunity__owner_id"]), mart,
                {"opportunity__stage": "stage", "opportunity__owner_id": "owner_id"},
                {"open_deals": ("open_count", COUNT), "open_pipeline": ("open_amount", MONEY),
                 "weighted_pipeline": ("weighted_amount", MONEY)})


def test_sales_activity(world: World):
    keys = {"metric_time__week": "week", "activity__owner_id": "owner_id", "activity__activity_type": "activity_type"}
    assert_same(world.mf(["activities", "completed_activities", "activities_linked_to_opportunity",
                          "activity_minutes", "emails_opened", "emails_replied"], list(keys)),
                world.fetch("select * from marts.sales_activity"), keys,
                {"activities": ("activity_count", COUNT), "completed_activities": ("completed_count", COUNT),
                 "activities_linked_to_opportunity": ("linked_to_opportunity_count", COUNT),
                 "activity_minutes": ("duration_minutes", MONEY), "emails_opened": ("opened_count", COUNT),
                 "emails_replied": ("replied_count", COUNT)})
    for activity_type, metric in [("call", "calls"), ("email", "emails"), ("meeting", "meetings")]:
        mart = world.fetch(f"select week, owner_id, activity_count from marts.sales_activity"
                           f" where activity_type = '{activity_type}'")
        assert_same(world.mf([metric], ["metric_time__week", "activity__owner_id"]), mart,
                    {"metric_time__week": "week", "activity__owner_id": "owner_id"},
                    {metric: ("activity_count", COUNT)})


ATTRIBUTION_METRICS = {"attributed_opportunities": ("attributed_opportunities", MONEY),
                       "attributed_pipeline": ("attributed_pipeline", MONEY),
                       "attributed_revenue": ("attributed_revenue", MONEY),
                       "attributed_won_opportunities": ("attributed_won_opportunities", MONEY)}


def test_attribution_by_model_and_campaign(world: World):
    rows = [r for r in world.mf(list(ATTRIBUTION_METRICS), ["attribution_credit__model", "campaign"])
            if r["campaign"] is not None]
    mart = world.fetch("select * from marts.attribution_campaign where campaign_id is not null")
    # a campaign no journey credits is a mart row of zeros and no credit row
    n = assert_same(rows, mart, {"attribution_credit__model": "model", "campaign": "campaign_id"},
                    ATTRIBUTION_METRICS, absent_is_zero=True)
    assert n > 100 and len({r["attribution_credit__model"] for r in rows}) == 7


def test_attribution_reconciles_per_model(world: World):
    """Per model, the credited revenue plus the opportunities with no touch (whole, no campaign) is the
    won total: the attribution_campaign reconciliation, through the semantic layer."""
    unattributed = world.fetch("""
        select coalesce(sum(amount) filter (where is_won), 0) as revenue, coalesce(sum(amount), 0) as pipeline
        from marts.fct_opportunities o
        where not exists (select 1 from marts.attribution_touchpoint_credit c where c.opportunity_id = o.opportunity_id)
    """)[0]
    totals = world.fetch("select model, sum(attributed_revenue) as revenue, sum(attributed_pipeline) as pipeline"
                         " from marts.attribution_campaign group by model")
    mf = {r["attribution_credit__model"]: r for r in world.mf(["attributed_revenue", "attributed_pipeline"],
                                                              ["attribution_credit__model"])}
    for t in totals:
        assert equal(MONEY, mf[t["model"]]["attributed_revenue"] + float(unattributed["revenue"]), t["revenue"])
        assert equal(MONEY, mf[t["model"]]["attributed_pipeline"] + float(unattributed["pipeline"]), t["pipeline"])


CAMPAIGN_METRICS = {
    "campaign_cost": ("cost", MONEY), "campaign_members": ("members", COUNT),
    "campaign_responses": ("responses", COUNT), "campaign_new_people": ("new_people", COUNT),
    "campaign_mqls_sourced": ("mqls_sourced", COUNT),
    "campaign_opportunities_influenced": ("opportunities_influenced", COUNT),
    "campaign_pipeline": ("pipeline", MONEY), "campaign_revenue": ("revenue", MONEY),
    "response_rate": ("response_rate", MONEY), "cost_per_response": ("cost_per_response", MONEY),
    "cost_per_new_person": ("cost_per_new_person", MONEY), "cost_per_opportunity": ("cost_per_opportunity", MONEY),
    "campaign_roi": ("roi", MONEY),
}


def test_campaign_performance(world: World):
    mart = world.fetch("select * from marts.campaign_performance")
    assert_same(world.mf(list(CAMPAIGN_METRICS), ["campaign"]), mart, {"campaign": "campaign_id"}, CAMPAIGN_METRICS)
    assert sum(1 for r in mart if r["roi"] is not None) > 10 and any(r["cost_per_opportunity"] for r in mart)


def test_touches_by_campaign(world: World):
    rows = [r for r in world.mf(["touches", "people_touched"], ["campaign"]) if r["campaign"] is not None]
    assert_same(rows, world.fetch("select campaign_id, touches, responses from marts.dim_campaigns"),
                {"campaign": "campaign_id"}, {"touches": ("touches", COUNT), "people_touched": ("responses", COUNT)},
                absent_is_zero=True)


def test_customer_value(world: World):
    assert_same(world.mf(["customer_lifetime_revenue", "customer_won_deals", "customer_lifetime_value"], ["company"]),
                world.fetch("select * from marts.customer_lifetime_value"), {"company": "company_id"},
                {"customer_lifetime_revenue": ("lifetime_revenue", MONEY), "customer_won_deals": ("won_deals", COUNT),
                 "customer_lifetime_value": ("lifetime_revenue", MONEY)})
    # by first-win quarter: each clv_cohorts cohort at its latest month (the revenue to date)
    latest = world.fetch("""
        select distinct on (cohort_quarter) cohort_quarter, customers, cumulative_revenue,
               cumulative_revenue_per_customer
        from marts.clv_cohorts order by cohort_quarter, months_since_first_win desc""")
    assert len(latest) >= 3
    assert_same(world.mf(["customers", "customer_lifetime_revenue", "customer_lifetime_value"],
                         ["metric_time__quarter"]), latest, {"metric_time__quarter": "cohort_quarter"},
                {"customers": ("customers", COUNT), "customer_lifetime_revenue": ("cumulative_revenue", MONEY),
                 "customer_lifetime_value": ("cumulative_revenue_per_customer", MONEY)})


def test_every_metric_is_compared():
    """A metric added to the semantic yml without a comparison in this module fails here."""
    import re

    import yaml

    defined = set()
    for path in (PROJECT_ROOT / "dbt_project" / "models" / "semantic").rglob("*.yml"):
        defined |= {m["name"] for m in yaml.safe_load(path.read_text()).get("metrics", [])}
    compared = set(re.findall(r'"([a-z_]+)"', Path(__file__).read_text()))
    compared |= {f"{a}_to_{b}_{kind}" for a, b in PAIRS for kind in ("conversion_rate", "conversions")}
    assert len(defined) >= 60
    assert not defined - compared, f"metrics without a mart comparison: {sorted(defined - compared)}"


def test_deals_created(world: World):
    mart = world.fetch("select date_trunc('month', created_at at time zone 'UTC')::date as month, count(*) as n,"
                       " coalesce(sum(amount), 0) as amount from marts.fct_opportunities group by 1")
    assert_same(world.mf(["new_deals", "pipeline_created"], ["metric_time__month"]), mart,
                {"metric_time__month": "month"}, {"new_deals": ("n", COUNT), "pipeline_created": ("amount", MONEY)})


def test_mf_cli_validate_and_query(world: World, tmp_path: Path):
    """What a user runs: `funnelhouse metrics validate` (mf validate-configs, with the warehouse checks) and
    `funnelhouse metrics query ... --csv`, whose numbers equal win_rates."""
    from funnelhouse.metrics import run_mf

    assert run_mf(["validate-configs"], world.dsn, refresh=True) == 0
    out = tmp_path / "win_rate.csv"
    assert run_mf(["query", "--metrics", "win_rate,won_deals", "--group-by", "metric_time__month",
                   "--csv", str(out), "--quiet"], world.dsn) == 0
    with out.open() as f:
        rows = [{"metric_time__month": date.fromisoformat(r["metric_time__month"][:10]),
                 "win_rate": float(r["win_rate"]) if r["win_rate"] else None, "won_deals": int(r["won_deals"])}
                for r in csv.DictReader(f) if r["metric_time__month"]]
    assert_same(rows, world.fetch("select * from marts.win_rates where dimension = 'overall'"),
                {"metric_time__month": "close_month"},
                {"win_rate": ("win_rate", MONEY), "won_deals": ("won_count", COUNT)})


def test_group_counts(world: World):
    """Guard against comparing empty sets: the world has several months, channels and owners."""
    months = defaultdict(int)
    for r in world.mf(["won_deals"], ["metric_time__month"]):
        months[r["metric_time__month"]] += 1
    assert len(months) >= 12


WATERFALL_FLOWS = {"pipeline_added": "created_amount", "pipeline_reopened": "reopened_amount",
                   "pipeline_won": "won_amount", "pipeline_lost": "lost_amount", "pipeline_removed": "removed_amount",
                   "pipeline_amount_change": "amount_change", "pipeline_slipped": "slipped_amount"}


def test_pipeline_history(world: World):
    """Week by week the waterfall metrics are pipeline_waterfall's row; by month the balances are the first
    week's opening and the last week's closing (semi-additive) and the flows the sum of the month's weeks,
    computed here from the weekly mart."""
    metrics = ["pipeline_at_period_start", "pipeline_at_period_end", "open_deals_at_period_end", *WATERFALL_FLOWS]
    columns = {"pipeline_at_period_start": ("opening_amount", MONEY),
               "pipeline_at_period_end": ("closing_amount", MONEY),
               "open_deals_at_period_end": ("closing_count", COUNT),
               **{m: (c, MONEY) for m, c in WATERFALL_FLOWS.items()}}
    weeks = world.fetch("select * from marts.pipeline_waterfall order by snapshot_week")
    assert len(weeks) >= 20 and any(w["won_amount"] for w in weeks) and any(w["created_amount"] for w in weeks)
    assert_same(world.mf(metrics, ["metric_time__week"]), weeks, {"metric_time__week": "snapshot_week"}, columns)

    months: dict[date, dict] = {}
    for w in weeks:  # ordered by week: the first week of a month opens it, the last one closes it
        month = w["snapshot_week"].replace(day=1)
        row = months.setdefault(month, {"month": month, "opening_amount": w["opening_amount"],
                                        **{c: 0 for c in WATERFALL_FLOWS.values()}})
        row["closing_amount"], row["closing_count"] = w["closing_amount"], w["closing_count"]
        for c in WATERFALL_FLOWS.values():
            row[c] += w[c]
    assert_same(world.mf(metrics, ["metric_time__month"]), months.values(), {"metric_time__month": "month"}, columns)


def test_forecast_accuracy(world: World):
    mart = world.fetch("select * from marts.forecast_accuracy")
    assert any(r["abs_pct_error"] is not None for r in mart) and {r["weeks_before"] for r in mart} == set(range(13))
    assert_same(world.mf(["forecast_at_snapshot", "forecast_actual_won", "forecast_abs_pct_error"],
                         ["metric_time__month", "forecast_snapshot__weeks_before"]), mart,
                {"metric_time__month": "close_month", "forecast_snapshot__weeks_before": "weeks_before"},
                {"forecast_at_snapshot": ("forecast_amount", MONEY),
                 "forecast_actual_won": ("actual_won_amount", MONEY),
                 "forecast_abs_pct_error": ("abs_pct_error", MONEY)})
