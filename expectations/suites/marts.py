"""Marts (docs/metrics.md): rates in [0, 1], funnel counts non-increasing along the stages within a
cohort, velocity days >= 0, attribution credits summing to 1, attributed revenue reconciling to
won revenue, the pipeline waterfall's identity on every week, and (added to every suite) row counts within a
band of the previous run."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.specs import SuiteDef, Target, critical, mix_drift, rows, warning

STAGES = ("lead", "mql", "sql", "opportunity", "customer")
RECONCILE_TOLERANCE = "0.01"  # currency units, plus 1e-9 relative


def rate(col: str) -> gxe.Expectation:
    return critical(gxe.ExpectColumnValuesToBeBetween(column=col, min_value=0, max_value=1),
                    f"{col} is a rate in [0, 1]")


def non_negative(col: str, what: str = "") -> gxe.Expectation:
    return critical(gxe.ExpectColumnValuesToBeBetween(column=col, min_value=0),
                    f"{col} is >= 0" + (f" ({what})" if what else ""))


def mart(group: str, table: str, ids: tuple[str, ...], expectations: list[gxe.Expectation],
         description: str) -> SuiteDef:
    return SuiteDef(name=f"marts_{table}", layer="marts", group=group, description=description,
                    targets=[Target("marts", table, ids)], expectations=expectations)


_FUNNEL_MONOTONE = f"""
select cohort_month, channel, {", ".join(f"{s}_n" for s in STAGES)} from (
    select date_trunc('month', lead_at) as cohort_month, first_touch_channel as channel,
           {", ".join(f"count({s}_at) as {s}_n" for s in STAGES)}
    from {{batch}} group by 1, 2
) cohorts
where not ({" and ".join(f"{a}_n >= {b}_n" for a, b in zip(STAGES, STAGES[1:], strict=False))})
"""

_STAGE_ORDER = " or ".join(
    f"{b}_at < {a}_at" for a, b in zip(STAGES, STAGES[1:], strict=False)
)


def _core() -> list[SuiteDef]:
    g = "marts_core"
    return [
        mart(g, "dim_campaigns", ("campaign_id",), [], "Campaigns."),
        mart(g, "dim_companies", ("company_id",), [], "Companies."),
        mart(g, "fct_touchpoints", ("touchpoint_id",), [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["person_id", "campaign_id", "touched_at"]),
                     "one touch per (person, campaign, touched_at)"),
        ], "Touchpoints."),
        mart(g, "fct_opportunity_people", ("opportunity_id", "person_id"), [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["opportunity_id", "person_id"]),
                     "one row per (opportunity, person)"),
        ], "People on opportunities."),
    ]


def _funnel() -> list[SuiteDef]:
    g = "marts_funnel"
    return [
        mart(g, "dim_people", ("person_id",), [
            critical(gxe.ExpectColumnValuesToMatchRegex(column="email_hash", regex="^[0-9a-f]{64}$"),
                     "email_hash is a sha256 hex digest, never an email"),
            rows(_FUNNEL_MONOTONE, "within each cohort (month of lead_at x channel) the number of people "
                 "reaching each stage does not increase along the stages"),
            rows(f"select person_id from {{batch}} where {_STAGE_ORDER}",
                 "a person enters the stages in order (back-filled stages included)"),
            mix_drift("current_stage"),
        ], "People: one row per person, stages monotone."),
        mart(g, "funnel_stage_volume", ("month", "stage", "channel", "campaign_id"), [
            non_negative("entered_count"),
        ], "Stage entries per month."),
        mart(g, "funnel_conversion", ("cohort_month", "from_stage", "to_stage", "channel", "campaign_id"), [
            rate("conversion_rate"),
            rows("select cohort_month, from_stage, to_stage, channel, campaign_id, cohort_count, converted_count "
                 "from {batch} where converted_count > cohort_count",
                 "within a cohort, the people converting to the next stage are no more than the cohort"),
            rows("select cohort_month, from_stage, to_stage, channel, campaign_id from {batch} "
                 "where cohort_count > 0 and abs(conversion_rate - converted_count::numeric / cohort_count) > 1e-9",
                 "conversion_rate = converted_count / cohort_count"),
        ], "Cohort conversion between stages."),
        mart(g, "fct_stage_transitions", ("person_id", "from_stage", "to_stage"), [
            non_negative("days", "velocity days"),
        ], "Stage transitions per person."),
        mart(g, "funnel_velocity", ("from_stage", "to_stage", "channel"), [
            non_negative("mean_days", "velocity days"),
            non_negative("median_days", "velocity days"),
            non_negative("p90_days", "velocity days"),
        ], "Days between stages."),
        mart(g, "funnel_stuck_records", ("record_type", "record_id"), [
            non_negative("days_in_stage", "velocity days"),
        ], "Stuck records."),
        mart(g, "funnel_stage_health", ("current_stage", "channel"), [
            non_negative("people"),
            rows("select current_stage, channel from {batch} "
                 "where people <> active_count + cold_count + disqualified_count + lost_count "
                 "or stuck_count > active_count or least(active_count, stuck_count, cold_count, "
                 "disqualified_count, lost_count) < 0",
                 "every person below the terminal stage is exactly one of active, cold, disqualified, lost; "
                 "the stuck ones are active"),
        ], "People below the terminal stage: active, stuck, cold, disqualified, lost."),
    ]


_CREDIT_SUM = """
select opportunity_id, model, sum(credit) as credit_sum from {batch}
group by opportunity_id, model having abs(sum(credit) - 1) > 1e-6
"""

_RECONCILE = f"""
select a.model, a.attributed_revenue, o.won_revenue, a.attributed_pipeline, o.pipeline
from (select model, coalesce(sum(attributed_revenue), 0) as attributed_revenue,
             coalesce(sum(attributed_pipeline), 0) as attributed_pipeline
      from {{batch}} as campaign_rows group by model) a
cross join (select coalesce(sum(amount_corporate) filter (where is_won), 0) as won_revenue,
                   coalesce(sum(amount_corporate), 0) as pipeline
            from marts.fct_opportunities) o
where abs(a.attributed_revenue - o.won_revenue) > {RECONCILE_TOLERANCE} + 1e-9 * abs(o.won_revenue)
   or abs(a.attributed_pipeline - o.pipeline) > {RECONCILE_TOLERANCE} + 1e-9 * abs(o.pipeline)
"""


def _attribution() -> list[SuiteDef]:
    g = "marts_attribution"
    return [
        mart(g, "attribution_touchpoint_credit", ("opportunity_id", "touchpoint_id", "model"), [
            rate("credit"),
            rows(_CREDIT_SUM, "attribution credits sum to 1 per opportunity and model"),
        ], "Credit per opportunity x touchpoint x model."),
        mart(g, "attribution_campaign", ("model", "campaign_id"), [
            rows(_RECONCILE, "per model, attributed revenue equals total won amount and attributed "
                 "pipeline equals total opportunity amount (marts.fct_opportunities)"),
        ], "Attribution per model x campaign, reconciled."),
    ]


def _sales() -> list[SuiteDef]:
    g = "marts_sales"
    return [
        mart(g, "fct_opportunities", ("opportunity_id",), [
            rate("probability"),
            warning(gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0), "amounts are >= 0"),
            rows("select opportunity_id from {batch} where is_won and not is_closed",
                 "a won opportunity is closed"),
            # METRICS "Money": a currency without a rate is never dropped or summed raw (critical)
            rows("select currency, count(*) as opportunities from {batch} "
                 "where amount is not null and amount_corporate is null group by currency",
                 "every amount converts into the corporate currency (a failing row names a currency without a rate)"),
            rows("select opportunity_id, created_at, closed_at from {batch} "
                 "where closed_at is not null and closed_at::date < created_at::date",
                 "no opportunity is closed before the day it was created"),
            mix_drift("stage", threshold=0.2),
        ], "Opportunities (SF + HubSpot)."),
        mart(g, "win_rates", ("close_month", "dimension", "dimension_value"), [
            rate("win_rate"), rate("amount_win_rate"),
            non_negative("won_count"), non_negative("lost_count"),
        ], "Win rates."),
        mart(g, "revenue_forecast", ("close_month",), [
            rows("select close_month from {batch} where weighted_open_amount > open_amount + 1e-6",
                 "weighted open amount never exceeds the open amount"),
        ], "Revenue forecast."),
        mart(g, "open_pipeline", ("stage", "owner_id"), [
            non_negative("avg_age_days", "velocity days"),
            rows("select stage, owner_id from {batch} where weighted_amount > open_amount + 1e-6",
                 "weighted amount never exceeds the open amount"),
        ], "Open pipeline."),
        mart(g, "pipeline_velocity", ("month",), [
            rate("win_rate"), non_negative("avg_sales_cycle_days", "velocity days"),
        ], "Pipeline velocity."),
        mart(g, "opportunity_stage_velocity", ("pipeline", "stage"), [
            non_negative("mean_days", "velocity days"), non_negative("median_days", "velocity days"),
            non_negative("p90_days", "velocity days"),
        ], "Days in opportunity stage."),
        mart(g, "sales_activity", ("week", "owner_id", "activity_type"), [
            rows("select week, owner_id, activity_type from {batch} where completed_count > activity_count",
                 "completed activities are a subset of activities"),
        ], "Sales activity."),
        mart(g, "rep_performance", ("month", "owner_id"), [
            rate("win_rate"), non_negative("avg_sales_cycle_days", "velocity days"),
        ], "Rep performance."),
    ]


def _marketing() -> list[SuiteDef]:
    g = "marts_marketing"
    return [
        mart(g, "campaign_performance", ("campaign_id",), [
            rate("response_rate"),
        ], "Campaign performance."),
        mart(g, "channel_performance_monthly", ("month", "channel"), [
            non_negative("new_people"),
        ], "Channel performance by month."),
        mart(g, "lead_scores", ("person_id",), [
            rate("sales_ready_pct"),
        ], "Lead scores."),
        mart(g, "lead_score_performance", ("score_band",), [
            rate("opportunity_rate"),
            rows("select score_band from {batch} where reached_opportunity > people",
                 "people reaching opportunity are a subset of the band"),
        ], "Lead score bands."),
    ]


def _value() -> list[SuiteDef]:
    g = "marts_value"
    return [
        mart(g, "revenue_breakdown", ("close_month", "product", "region", "channel"), [
            warning(gxe.ExpectColumnValuesToBeBetween(column="won_amount", min_value=0), "won amounts are >= 0"),
        ], "Revenue breakdown."),
        mart(g, "customer_lifetime_value", ("company_id",), [
            non_negative("tenure_days"),
        ], "Customer lifetime value."),
        mart(g, "clv_cohorts", ("cohort_quarter", "months_since_first_win"), [
            non_negative("months_since_first_win"), non_negative("customers"),
        ], "CLV cohorts."),
    ]


_WATERFALL_IDENTITY = """
select snapshot_week, opening_amount, closing_amount from {batch}
where opening_amount + created_amount + reopened_amount - won_amount - lost_amount - removed_amount
      + amount_change <> closing_amount
"""

_WATERFALL_CHAIN = """
select snapshot_week, opening_amount, previous_closing from (
    select snapshot_week, opening_amount, lag(closing_amount) over (order by snapshot_week) as previous_closing,
           lag(snapshot_week) over (order by snapshot_week) as previous_week
    from {batch}
) chained
where (previous_week is null and opening_amount <> 0)
   or (previous_week is not null and (previous_week <> snapshot_week - 7 or opening_amount <> previous_closing))
"""


def _history() -> list[SuiteDef]:
    """METRICS §5: the weekly pipeline history."""
    g = "marts_history"
    return [
        mart(g, "pipeline_snapshots", ("snapshot_week", "opportunity_id"), [
            critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["snapshot_week", "opportunity_id"]),
                     "one row per week and opportunity"),
            rate("probability"),
            rows("select snapshot_week, opportunity_id from {batch} where is_won and not is_closed",
                 "a won opportunity is closed"),
            rows("select snapshot_week, opportunity_id from {batch} where extract(isodow from snapshot_week) <> 1",
                 "snapshot_week is the Monday of the week whose end (Sunday 24:00 UTC) is snapshotted"),
        ], "Weekly pipeline snapshots (as the CRM showed each week end)."),
        mart(g, "pipeline_waterfall", ("snapshot_week",), [
            rows(_WATERFALL_IDENTITY, "opening + created + reopened - won - lost - removed + amount_change = "
                 "closing, exactly, on every week"),
            rows(_WATERFALL_CHAIN, "every week opens where the previous week closed, with no week missing"),
            non_negative("opening_amount"), non_negative("closing_amount"), non_negative("created_amount"),
            non_negative("won_amount"), non_negative("lost_amount"), non_negative("removed_amount"),
        ], "Weekly pipeline waterfall."),
        mart(g, "forecast_accuracy", ("close_month", "weeks_before"), [
            critical(gxe.ExpectColumnValuesToBeBetween(column="weeks_before", min_value=0, max_value=12),
                     "weeks_before is 0-12"),
            non_negative("abs_pct_error"),
            warning(gxe.ExpectColumnValuesToBeBetween(column="forecast_amount", min_value=0),
                    "forecasts are >= 0"),
        ], "Forecast accuracy by close month and lead time."),
    ]


def suites() -> list[SuiteDef]:
    return _core() + _funnel() + _attribution() + _sales() + _marketing() + _value() + _history()
