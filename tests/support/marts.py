"""Small, deterministic warehouse contents shaped like the real layers (the raw layer in the core's own
DDL, marts in docs/metrics.md columns), for the tests of the report and the BI role that must not wait
for a full pipeline run. The end-to-end tests use the real pipeline instead."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import psycopg

from tests.support.raw import create_raw_tables, record_sync

STAGES = ["lead", "mql", "sql", "opportunity", "customer"]
CHANNELS = ["paid_search", "email", "events", "organic"]
MODELS = ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay"]


def seed(dsn: str, seed_value: int = 7) -> dict:
    rnd = random.Random(seed_value)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    create_raw_tables(dsn)  # every raw table and raw_meta, in the extractors' own DDL
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema in ("staging", "intermediate", "seeds", "audit", "marts"):
            conn.execute(f"create schema if not exists {schema}")
        for schema, table in (("raw_salesforce", "lead"), ("raw_salesforce", "opportunity"),
                              ("raw_hubspot", "contacts")):
            with conn.cursor().copy(f"copy {schema}.{table} from stdin") as cp:
                for i in range(40):
                    cp.write_row((f"{table}{i}", base + timedelta(days=i), json.dumps({"Id": i}), False, base, "b1"))
            # sync_runs names the API object (Lead), the raw layer its table (lead).
            api_object = {"lead": "Lead", "opportunity": "Opportunity"}.get(table, table)
            record_sync(conn, schema.removeprefix("raw_"), api_object, f"b-{table}", rows=40,
                        started=f"timestamptz '{base.isoformat()}'",
                        finished=f"timestamptz '{(base + timedelta(seconds=1)).isoformat()}'")
        conn.execute("create table staging.stg_salesforce__leads as select 1 as id")
        conn.execute("create table intermediate.int_people as select 1 as id")
        conn.execute("create table seeds.funnel_stage_mapping as select 'Open' as source_value")

        conn.execute("""create table marts.funnel_stage_volume (month date, stage text, channel text,
            campaign_id text, entered_count int, entered_inferred_count int)""")
        volume = 1000
        for stage in STAGES:
            for channel in CHANNELS:
                conn.execute("insert into marts.funnel_stage_volume values ('2026-01-01',%s,%s,'c1',%s,%s)",
                             (stage, channel, volume // 4, volume // 40))
            volume = int(volume * 0.45)
        conn.execute("""create table marts.funnel_conversion (cohort_month date, from_stage text, to_stage text,
            channel text, campaign_id text, cohort_count int, converted_count int, conversion_rate numeric)""")
        for a, b in zip(STAGES, STAGES[1:], strict=False):
            for channel in CHANNELS:
                cohort = rnd.randint(50, 200)
                conv = rnd.randint(5, cohort)
                conn.execute("insert into marts.funnel_conversion values ('2026-01-01',%s,%s,%s,'c1',%s,%s,%s)",
                             (a, b, channel, cohort, conv, conv / cohort))
        conn.execute("""create table marts.fct_stage_transitions (person_id text, from_stage text, to_stage text,
            from_at timestamptz, to_at timestamptz, days numeric, is_inferred boolean, channel text,
            campaign_id text)""")
        for i in range(300):
            a = rnd.randrange(4)
            days = rnd.expovariate(1 / (5 + 5 * a))
            conn.execute("insert into marts.fct_stage_transitions values (%s,%s,%s,%s,%s,%s,%s,%s,'c1')",
                         (f"p{i}", STAGES[a], STAGES[a + 1], base, base + timedelta(days=days), days, i % 10 == 0,
                          rnd.choice(CHANNELS)))
        conn.execute("""create table marts.funnel_velocity (from_stage text, to_stage text, channel text,
            transition_count int, mean_days numeric, median_days numeric, p90_days numeric)""")
        conn.execute("""insert into marts.funnel_velocity
            select from_stage, to_stage, 'all', count(*), avg(days),
                   percentile_cont(0.5) within group (order by days), percentile_cont(0.9) within group (order by days)
            from marts.fct_stage_transitions where not is_inferred group by 1, 2""")
        conn.execute("""create table marts.attribution_campaign (model text, campaign_id text,
            attributed_opportunities numeric, attributed_pipeline numeric, attributed_won_opportunities numeric,
            attributed_revenue numeric, campaign_cost numeric, roi numeric)""")
        campaigns = [f"701C{i:03d}" for i in range(15)]
        for model in MODELS:
            weights = [rnd.random() for _ in campaigns]
            total = sum(weights)
            for c, w in zip(campaigns, weights, strict=True):
                conn.execute("insert into marts.attribution_campaign values (%s,%s,%s,%s,%s,%s,1000,null)",
                             (model, c, w / total * 30, w / total * 900000, w / total * 10, w / total * 300000))
        conn.execute("""create table marts.campaign_performance (campaign_id text, name text)""")
        for i, c in enumerate(campaigns):
            conn.execute("insert into marts.campaign_performance values (%s,%s)", (c, f"Campaign {i}"))
        conn.execute("""create table marts.win_rates (close_month date, dimension text, dimension_value text,
            won_count int, lost_count int, win_rate numeric, won_amount numeric, lost_amount numeric,
            amount_win_rate numeric)""")
        for m in range(12):
            won, lost = rnd.randint(5, 20), rnd.randint(5, 20)
            conn.execute("insert into marts.win_rates values (%s,'overall','all',%s,%s,%s,0,0,null)",
                         (datetime(2025, m + 1, 1).date(), won, lost, won / (won + lost)))
        # a waterfall that chains: each week opens where the previous one closed (opening + flows = closing)
        conn.execute("""create table marts.pipeline_waterfall (snapshot_week date, opening_amount numeric,
            created_amount numeric, reopened_amount numeric, won_amount numeric, lost_amount numeric,
            removed_amount numeric, amount_change numeric, closing_amount numeric, slipped_amount numeric)""")
        opening = 0
        for w in range(30):
            created, won, lost = rnd.randint(5, 20) * 1000, rnd.randint(0, 8) * 1000, rnd.randint(0, 8) * 1000
            closing = opening + created - won - lost
            conn.execute("insert into marts.pipeline_waterfall values (%s,%s,%s,0,%s,%s,0,0,%s,0)",
                         (datetime(2025, 1, 6).date() + timedelta(days=7 * w), opening, created, won, lost, closing))
            opening = closing
        from expectations import audit  # the quality layer's own DDL, so the report reads the real shape

        audit.ensure_schema(conn)
        for i, suite in enumerate(["raw_salesforce", "raw_hubspot", "marts_funnel", "marts_attribution"]):
            for run, when in (("old", base - timedelta(days=1)), ("r1", base)):
                conn.execute("""insert into audit.validation_runs (run_id, dag_run_id, layer, suite, suite_group,
                    asset, status, started_at, finished_at, success, critical_success, evaluated, successful,
                    failed_critical, failed_warning, data_docs_path)
                    values (%s, 'd1', 'marts', %s, 'g', %s, 'validated', %s, %s, true, true, 8, %s, %s, %s, %s)""",
                             (run, suite, f"t{i}", when, when, 7 if (i == 2 and run == "r1") else 8,
                              1 if run == "old" else 0, 1 if (i == 2 and run == "r1") else 0,
                              f"/tmp/docs/{run}/index.html"))
        from funnelhouse import publish  # the publish step's own DDL: these marts are the live run r1

        publish.ensure_audit(conn)
        conn.execute("""insert into audit.publications (run_id, dag_run_id, decision, reason, row_counts, gx_run_ids,
            timings, recorded_at) values ('r1', 'd1', 'published', 'all critical expectations passed',
            '{"win_rates": 12}', '["r1"]', '{"swap_lock_seconds": 0.002}', %s)""", (base,))
    return {"marts": ["funnel_stage_volume", "funnel_conversion", "fct_stage_transitions", "funnel_velocity",
                      "attribution_campaign", "campaign_performance", "win_rates", "pipeline_waterfall"]}
