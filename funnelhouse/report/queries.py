"""The SQL behind the run report: one function per section, returning plain rows.

A missing or empty source table raises Unavailable, whose message the report shows in place of
the section. Only columns that exist in the layer contracts are read: the marts of docs/metrics.md,
`audit.validation_runs` (expectations/audit.py) and `raw_meta.sync_runs` (funnelhouse/core/raw.py).
"""

from __future__ import annotations

from typing import Any

import psycopg

from funnelhouse.core.raw import table_name

# The latest sync run of each object, from raw_meta.sync_runs as funnelhouse/core/raw.py creates it.
SYNC_RUN_COLUMNS = ("rows", "pages", "api_calls", "retries", "seconds", "outcome", "error")


class Unavailable(Exception):
    """A section's source table is missing or empty; the message says which."""


def exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (f"{schema}.{table}",)).fetchone()[0]


def require(conn: psycopg.Connection, schema: str, table: str) -> None:
    if not exists(conn, schema, table):
        raise Unavailable(f"{schema}.{table} does not exist yet (has the pipeline built it?)")


def _rows(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def funnel_volume(conn: psycopg.Connection) -> list[tuple]:
    """(stage, entered, entered inferred) summed over months, channels and campaigns."""
    require(conn, "marts", "funnel_stage_volume")
    found = _rows(conn, "select stage, sum(entered_count), sum(entered_inferred_count) "
                        "from marts.funnel_stage_volume group by stage")
    if not found:
        raise Unavailable("marts.funnel_stage_volume is empty")
    return found


def conversion(conn: psycopg.Connection) -> list[tuple]:
    """(channel, from stage, to stage, cohort, converted), all cohort months pooled."""
    require(conn, "marts", "funnel_conversion")
    found = _rows(conn, """
        select channel, from_stage, to_stage, sum(cohort_count), sum(converted_count)
        from marts.funnel_conversion group by 1, 2, 3""")
    if not found:
        raise Unavailable("marts.funnel_conversion is empty")
    return found


def transitions(conn: psycopg.Connection) -> list[tuple]:
    """(from stage, to stage, days) of every observed (non-inferred) stage transition."""
    require(conn, "marts", "fct_stage_transitions")
    found = _rows(conn, """
        select from_stage, to_stage, days from marts.fct_stage_transitions
        where not coalesce(is_inferred, false) and days is not null""")
    if not found:
        raise Unavailable("marts.fct_stage_transitions has no observed transitions")
    return found


def velocity(conn: psycopg.Connection) -> list[tuple]:
    """The all-channel velocity table, or nothing when the mart is not built."""
    if not exists(conn, "marts", "funnel_velocity"):
        return []
    return _rows(conn, """select from_stage, to_stage, transition_count, mean_days, median_days, p90_days
                          from marts.funnel_velocity where channel = 'all'""")


def attribution(conn: psycopg.Connection) -> tuple[list[tuple], dict[str, str]]:
    """(model, campaign, revenue, pipeline) rows and campaign names by id."""
    require(conn, "marts", "attribution_campaign")
    found = _rows(conn, """select model, coalesce(campaign_id, '(no touch)'), attributed_revenue, attributed_pipeline
                           from marts.attribution_campaign""")
    if not found:
        raise Unavailable("marts.attribution_campaign is empty")
    names: dict[str, str] = {}
    if exists(conn, "marts", "campaign_performance"):
        names = {r[0]: r[1] for r in _rows(conn, "select campaign_id, name from marts.campaign_performance")}
    return found, names


def win_rates(conn: psycopg.Connection) -> list[tuple]:
    """(close month, won, lost, win rate) of the overall dimension, by month."""
    require(conn, "marts", "win_rates")
    found = _rows(conn, """select close_month, won_count, lost_count, win_rate from marts.win_rates
                           where dimension = 'overall' order by close_month""")
    if not found:
        raise Unavailable("marts.win_rates has no 'overall' rows")
    return found


def pipeline_waterfall(conn: psycopg.Connection, weeks: int = 26) -> list[tuple]:
    """(week, opening, created, reopened, won, lost, removed, amount change, closing) of the latest weeks."""
    require(conn, "marts", "pipeline_waterfall")
    found = _rows(conn, """select snapshot_week, opening_amount, created_amount, reopened_amount, won_amount,
                                  lost_amount, removed_amount, amount_change, closing_amount
                           from (select * from marts.pipeline_waterfall order by snapshot_week desc limit %s) latest
                           order by snapshot_week""", (weeks,))
    if not found:
        raise Unavailable("marts.pipeline_waterfall is empty")
    return found


def latest_validations(conn: psycopg.Connection) -> list[tuple]:
    """Per suite, its latest validation (expectations/audit.py: one row per run, suite and table):
    (suite, validated at, passed, critical failed, warnings, data docs path, run id, tables not built)."""
    require(conn, "audit", "validation_runs")
    found = _rows(conn, """
        with ranked as (
            select *, rank() over (partition by suite order by finished_at desc, run_id desc) as rk
            from audit.validation_runs
        )
        select suite, max(finished_at)::text, sum(successful)::int, sum(failed_critical)::int,
               sum(failed_warning)::int, max(data_docs_path), max(run_id), count(*) filter (where status = 'not_built')
        from ranked where rk = 1 group by suite order by suite""")
    if not found:
        raise Unavailable("no validation results in the audit schema yet")
    return found


def raw_counts(conn: psycopg.Connection) -> list[tuple[str, str, int, int]]:
    """(source, object, rows of all versions, distinct ids) of every raw table."""
    tables = _rows(conn, """
        select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('raw_salesforce', 'raw_hubspot') and c.relkind in ('r', 'p') order by 1, 2""")
    if not tables:
        raise Unavailable("no raw tables yet (raw_salesforce / raw_hubspot)")
    counts = []
    for schema, table in tables:
        n = conn.execute(f'select count(*), count(distinct id) from "{schema}"."{table}"').fetchone()  # noqa: S608
        counts.append((schema.removeprefix("raw_"), table, int(n[0]), int(n[1])))
    return counts


def latest_sync_runs(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(source, raw table) -> SYNC_RUN_COLUMNS of its most recently started sync run (none before
    the first extraction). sync_runs names the API object (`Lead`), the raw layer its table (`lead`)."""
    if not exists(conn, "raw_meta", "sync_runs"):
        return {}
    select = ", ".join(SYNC_RUN_COLUMNS)
    found = _rows(conn, f"""select distinct on (source, object) source, object, {select}
                            from raw_meta.sync_runs order by source, object, started_at desc""")  # noqa: S608
    return {(r[0], table_name(r[1])): r[2:] for r in found}


def publications(conn: psycopg.Connection, limit: int = 10) -> list[tuple]:
    """The newest publication decisions (funnelhouse/publish.py writes audit.publications): (run id,
    DAG run id, decision, reason, marts, rows, swap lock seconds, recorded at, GX run ids)."""
    require(conn, "audit", "publications")
    found = _rows(conn, """
        select run_id, dag_run_id, decision, reason,
               (select count(*) from jsonb_object_keys(row_counts)),
               (select coalesce(sum(value::bigint), 0) from jsonb_each_text(row_counts)),
               (timings->>'swap_lock_seconds')::float, recorded_at, gx_run_ids
        from audit.publications order by id desc limit %s""", (limit,))
    if not found:
        raise Unavailable("no run has been published or withheld yet (audit.publications is empty)")
    return found


def live_run(conn: psycopg.Connection) -> tuple | None:
    """(run id, recorded at) of the newest `published` decision: the marts BI reads."""
    found = _rows(conn, "select run_id, recorded_at from audit.publications where decision = 'published' "
                        "order by id desc limit 1")
    return found[0] if found else None


def marts_run_ids(conn: psycopg.Connection) -> list[str]:
    """The distinct `_published_run_id` of the live marts, read from the marts themselves."""
    tables = _rows(conn, "select table_name from information_schema.columns where table_schema = 'marts' "
                         "and column_name = '_published_run_id' order by 1")
    ids: set[str] = set()
    for (table,) in tables:
        ids |= {r[0] for r in _rows(conn, f'select distinct _published_run_id from marts."{table}"')}  # noqa: S608
    return sorted(ids)
