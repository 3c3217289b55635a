"""A small, clean warehouse in the contract shapes (docs/CONTRACTS.md, docs/metrics.md) for the quality
tests: every raw table, raw_meta, the mapping seeds, the staging/intermediate models and the marts
the suites check, with values that satisfy every expectation. Tests plant one defect at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg

from expectations.suites.staging import STAGING_MODELS
from tests.support.raw import RAW_TABLES, create_raw_tables, record_sync

_VERSIONS = ("2026-01-02T03:04:05Z", "2026-01-03T03:04:05Z")
_RECORDS = {
    "raw_salesforce": {"CreatedDate": "2026-01-02T03:04:05.000+0000",
                       "LastModifiedDate": "2026-01-03T03:04:05.000+0000",
                       "SystemModstamp": "2026-01-03T03:04:05.000+0000"},
    "raw_hubspot": {"createdAt": "2026-01-02T03:04:05.000Z", "updatedAt": "2026-01-03T03:04:05Z",
                    "properties": {"email": "a@example.com"}},
}


def _raw(dsn: str) -> None:
    """The raw layer in the extractors' own DDL: two versions of five records in every raw table, and
    one recent successful sync per object in raw_meta."""
    create_raw_tables(dsn)
    extracted_at = datetime.now(UTC) - timedelta(hours=1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema, tables in RAW_TABLES.items():
            for table in tables:
                with conn.cursor().copy(f'copy {schema}."{table}" from stdin') as copy:
                    for i in range(1, 6):
                        for version in _VERSIONS:
                            copy.write_row((f"{table[:3].upper()}{i}", version, json.dumps(_RECORDS[schema]), False,
                                            extracted_at, "b1"))
                record_sync(conn, schema.removeprefix("raw_"), table, f"{schema}-{table}", rows=1000, rejected=2)


def _seeds(conn: psycopg.Connection) -> None:
    conn.execute("""
        create schema seeds;
        create table seeds.funnel_stage_mapping (source_system text, source_field text, source_value text,
            stage text);
        insert into seeds.funnel_stage_mapping values
            ('salesforce', 'Lead.Status', 'Open - Not Contacted', 'lead'),
            ('salesforce', 'Lead.Status', 'MQL', 'mql'),
            ('hubspot', 'lifecyclestage', 'lead', 'lead'),
            ('hubspot', 'lifecyclestage', 'customer', 'customer');
        create table seeds.opportunity_stage_mapping (source_system text, pipeline text, stage text,
            stage_order int, is_closed boolean, is_won boolean, default_probability numeric);
        insert into seeds.opportunity_stage_mapping values
            ('salesforce', 'salesforce', 'Prospecting', 1, false, false, 0.1),
            ('salesforce', 'salesforce', 'Closed Won', 9, true, true, 1.0);
    """)


def _staging(conn: psycopg.Connection) -> None:
    conn.execute("create schema staging; create schema intermediate")
    for model, (key, has_email) in STAGING_MODELS.items():
        keys = (key,) if isinstance(key, str) else key
        cols = [f"{k} text" for k in keys] + (["email text"] if has_email else [])
        extra = {"stg_salesforce__leads": ["status text"], "stg_hubspot__contacts": ["lifecycle_stage text"],
                 "stg_salesforce__opportunities": ["stage_name text"]}.get(model, [])
        conn.execute(f"create table staging.{model} ({', '.join(cols + extra)})")
        for i in range(1, 5):
            values = [f"{k}-{i}" for k in keys]
            values += [(f" Person{i}@Example.com " if i == 3 else f"person{i}@example.com") if i != 4 else None
                       ] if has_email else []
            values += {"stg_salesforce__leads": ["MQL" if i % 2 else "Open - Not Contacted"],
                       "stg_hubspot__contacts": ["lead"], "stg_salesforce__opportunities": ["Prospecting"]
                       }.get(model, [])
            conn.execute(f"insert into staging.{model} values ({', '.join(['%s'] * len(values))})", values)
    conn.execute("""
        create table intermediate.int_companies as select 'co' || g as company_id from generate_series(1, 3) g;
        create table intermediate.int_campaigns as select 'c' || g as campaign_id from generate_series(1, 3) g;
        create table intermediate.int_touchpoints as select 't' || g as touchpoint_id from generate_series(1, 3) g;
        create table intermediate.int_activities as select 'a' || g as activity_id from generate_series(1, 3) g;
        create table intermediate.int_opportunity_people as
            select 'o' || o as opportunity_id, 'p' || p as person_id
            from generate_series(1, 3) o, generate_series(1, 2) p;
        create table intermediate.int_people as
            select 'p' || g as person_id from generate_series(1, 4) g;
        create table intermediate.int_person_stage_events as
            select 'p' || g as person_id, (array['lead', 'mql', 'sql', 'opportunity'])[g] as stage
            from generate_series(1, 4) g;
        create table intermediate.int_opportunities as
            select 'o' || g as opportunity_id, timestamptz '2026-01-01' + g * interval '1 day' as created_at,
                   timestamptz '2026-02-01' + g * interval '1 day' as closed_at
            from generate_series(1, 4) g;
    """)


MARTS_SQL = """
create schema marts;
create table marts.dim_campaigns as select 'c' || g as campaign_id from generate_series(1, 3) g;
create table marts.dim_companies as select 'co' || g as company_id from generate_series(1, 3) g;
create table marts.fct_touchpoints as
    select 't' || g as touchpoint_id, 'p' || g as person_id, case when g < 3 then 'c1' end as campaign_id,
           timestamptz '2026-01-01' as touched_at
    from generate_series(1, 3) g;
create table marts.fct_opportunity_people as
    select 'o' || o as opportunity_id, 'p' || p as person_id from generate_series(1, 3) o, generate_series(1, 2) p;
create table marts.dim_people as
    select 'p' || g as person_id, encode(sha256(('p' || g)::bytea), 'hex') as email_hash,
           'web' as first_touch_channel,
           timestamptz '2026-01-05' as lead_at,
           case when g <= 3 then timestamptz '2026-01-06' end as mql_at,
           case when g <= 2 then timestamptz '2026-01-07' end as sql_at,
           case when g <= 2 then timestamptz '2026-01-08' end as opportunity_at,
           case when g = 1 then timestamptz '2026-01-09' end as customer_at,
           (array['customer', 'opportunity', 'mql', 'lead'])[g] as current_stage
    from generate_series(1, 4) g;
create table marts.funnel_stage_volume as
    select date '2026-01-01' as month, 'lead' as stage, 'web' as channel, 'c1' as campaign_id,
           4 as entered_count, 1 as entered_inferred_count;
create table marts.funnel_conversion as
    select date '2026-01-01' as cohort_month, 'lead' as from_stage, 'mql' as to_stage, 'web' as channel,
           c as campaign_id, 4 as cohort_count, 3 as converted_count, 0.75::numeric as conversion_rate
    from unnest(array['c1', 'c2', 'c3']) c;
create table marts.fct_stage_transitions as
    select 'p1' as person_id, 'lead' as from_stage, 'mql' as to_stage, 1.0::float8 as days;
create table marts.funnel_velocity as
    select 'lead' as from_stage, 'mql' as to_stage, 'all' as channel, 3 as transition_count,
           1.0::float8 as mean_days, 1.0::float8 as median_days, 1.5::float8 as p90_days;
create table marts.funnel_stuck_records as
    select 'person' as record_type, 'p4' as record_id, 'lead' as current_stage, 40.0::float8 as days_in_stage,
           30.0::float8 as threshold_days, 'u1' as owner_id, timestamptz '2026-01-01' as last_activity_at;
create table marts.funnel_stage_health as
    select 'lead' as current_stage, 'email' as channel, 10 as people, 4 as active_count, 1 as stuck_count,
           3 as cold_count, 2 as disqualified_count, 1 as lost_count;
create table marts.fct_opportunities as
    select 'o' || g as opportunity_id, timestamptz '2026-01-01' as created_at,
           case when g <= 2 then timestamptz '2026-02-01' end as closed_at,
           g <= 2 as is_closed, g = 1 as is_won, 100.0 * g as amount, 100.0 * g as amount_corporate, 'USD' as currency,
           1.0::numeric as exchange_rate, 0.5::numeric as probability,
           (array['Closed Won', 'Closed Lost', 'Prospecting'])[g] as stage
    from generate_series(1, 3) g;
create table marts.attribution_touchpoint_credit as
    select 'o' || o as opportunity_id, 't' || t as touchpoint_id, 'c' || t as campaign_id, 'web' as channel,
           m as model, 0.5::numeric as credit, 0.5 * 100.0 * o as attributed_pipeline,
           case when o = 1 then 0.5 * 100.0 else 0 end as attributed_revenue
    from generate_series(1, 3) o, generate_series(1, 2) t, unnest(array['linear', 'w_shaped']) m;
create table marts.attribution_campaign as
    select model, campaign_id, sum(credit) as attributed_opportunities,
           sum(attributed_pipeline) as attributed_pipeline, sum(attributed_revenue) as attributed_revenue
    from marts.attribution_touchpoint_credit group by model, campaign_id;
create table marts.win_rates as
    select date '2026-02-01' as close_month, 'overall' as dimension, 'all' as dimension_value,
           1 as won_count, 1 as lost_count, 0.5::numeric as win_rate, 0.333::numeric as amount_win_rate;
create table marts.revenue_forecast as
    select date '2026-02-01' as close_month, 100.0 as won_amount, 1 as open_count, 300.0 as open_amount,
           150.0 as weighted_open_amount, 250.0 as forecast_amount;
create table marts.open_pipeline as
    select 'Prospecting' as stage, 'u1' as owner_id, 1 as open_count, 300.0 as open_amount,
           150.0 as weighted_amount, 12.5::float8 as avg_age_days;
create table marts.pipeline_velocity as
    select date '2026-02-01' as month, 1 as open_count, 1 as won_count, 1 as lost_count,
           0.5::numeric as win_rate, 100.0 as avg_won_amount, 31.0::float8 as avg_sales_cycle_days;
create table marts.opportunity_stage_velocity as
    select 'salesforce' as pipeline, 'Prospecting' as stage, 3 as n, 2.0::float8 as mean_days,
           2.0::float8 as median_days, 3.0::float8 as p90_days;
create table marts.sales_activity as
    select date '2026-01-05' as week, 'u1' as owner_id, t as activity_type, 3 as activity_count,
           2 as completed_count
    from unnest(array['call', 'email', 'meeting']) t;
create table marts.rep_performance as
    select date '2026-02-01' as month, 'u1' as owner_id, 0.5::numeric as win_rate,
           31.0::float8 as avg_sales_cycle_days;
create table marts.campaign_performance as
    select 'c' || g as campaign_id, 0.25::numeric as response_rate from generate_series(1, 2) g;
create table marts.channel_performance_monthly as
    select date '2026-01-01' as month, 'web' as channel, 4 as new_people;
create table marts.lead_scores as
    select 'p' || g as person_id, least(g * 30, 100) / 100.0 as sales_ready_pct from generate_series(1, 4) g;
create table marts.lead_score_performance as
    select '0-24' as score_band, 10 as people, 2 as reached_opportunity, 0.2::numeric as opportunity_rate;
create table marts.revenue_breakdown as
    select date '2026-02-01' as close_month, 'unspecified' as product, 'emea' as region, 'web' as channel,
           1 as won_count, 100.0 as won_amount;
create table marts.customer_lifetime_value as
    select 'co1' as company_id, 0.0::float8 as tenure_days;
create table marts.clv_cohorts as
    select '2026-Q1' as cohort_quarter, 0 as months_since_first_win, 1 as customers;
create table marts.pipeline_snapshots as
    select date '2026-01-05' + 7 * w as snapshot_week, 'o' || g as opportunity_id, g = 1 as is_closed,
           g = 1 as is_won, 100.0 * g as amount_corporate, 0.5::numeric as probability
    from generate_series(0, 1) w, generate_series(1, 3) g;
create table marts.pipeline_waterfall as
    select date '2026-01-05' as snapshot_week, 0.0 as opening_amount, 600.0 as created_amount,
           0.0 as reopened_amount, 100.0 as won_amount, 0.0 as lost_amount, 0.0 as removed_amount,
           0.0 as amount_change, 500.0 as closing_amount
    union all
    select date '2026-01-12', 500.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 500.0;
create table marts.forecast_accuracy as
    select date '2026-02-01' as close_month, k as weeks_before, 250.0 as forecast_amount,
           100.0 as actual_won_amount, 1.5::numeric as abs_pct_error
    from generate_series(0, 12) k;
"""


def build_clean_warehouse(dsn: str) -> None:
    _raw(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        _seeds(conn)
        _staging(conn)
        conn.execute(MARTS_SQL)
