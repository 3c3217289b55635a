"""The short, human summary printed at the end of a run."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from funnelhouse.core.settings import Settings


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = %s order by 1", (schema,)
    ).fetchall()
    return [r[0] for r in rows]


def _count(conn: psycopg.Connection, schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    return conn.execute(query).fetchone()[0]


def collect(dsn: str, since: datetime | None = None) -> dict:
    """What the run extracted (per object, from raw_meta.sync_runs since `since`), row counts per
    mart, and the results of the latest pipeline run's validations (whatever exists)."""
    out: dict = {"extracted": [], "marts": {}, "quality": None}
    with psycopg.connect(dsn, autocommit=True) as conn:
        if since is not None and "sync_runs" in _tables(conn, "raw_meta"):
            out["extracted"] = conn.execute(
                """
                select source || '.' || object, sum(rows), sum(versions_new), sum(rejected), sum(api_calls),
                       string_agg(distinct outcome, ','), string_agg(distinct warning, '; ')
                from raw_meta.sync_runs where started_at >= %s
                group by source, object order by 1
                """,
                (since,),
            ).fetchall()
        for table in _tables(conn, "marts"):
            out["marts"][table] = _count(conn, "marts", table)
        if "validation_runs" in _tables(conn, "audit"):
            row = conn.execute(
                """
                with latest as (
                    select coalesce(dag_run_id, run_id) as key
                    from audit.validation_runs order by finished_at desc limit 1
                )
                select sum(successful), sum(failed_critical), sum(failed_warning), count(distinct run_id),
                       count(*) filter (where status = 'not_built')
                from audit.validation_runs
                where coalesce(dag_run_id, run_id) = (select key from latest)
                """
            ).fetchone()
            if row and row[3]:
                out["quality"] = {"passed": row[0], "critical_failed": row[1], "warnings": row[2],
                                  "runs": row[3], "not_built": row[4]}
    return out


def print_summary(dsn: str, settings: Settings, seconds: float, dag_ok: bool,
                  since: datetime | None = None) -> None:
    try:
        facts = collect(dsn, since)
    except psycopg.Error as exc:
        print(f"(summary unavailable: {str(exc).splitlines()[0]})")
        return
    line = "=" * 72
    print(line)
    print(f"Funnelhouse run {'SUCCEEDED' if dag_ok else 'FAILED'} in {seconds:.0f}s")
    print(line)
    if facts["extracted"]:
        print(f"extracted this run ({len(facts['extracted'])} objects):")
        print(f"  {'object':<40} {'rows':>9} {'new versions':>13} {'rejected':>9} {'api calls':>10}  outcome")
        for name, rows, new, rejected, calls, outcome, _ in facts["extracted"]:
            print(f"  {name:<40} {rows:>9,} {new:>13,} {rejected:>9,} {calls:>10,}  {outcome}")
        for name, *_, warning in facts["extracted"]:
            if warning:
                print(f"  WARNING {name}: {warning}")
    if facts["marts"]:
        print(f"marts built: {len(facts['marts'])} (schema marts)")
        for name, n in facts["marts"].items():
            print(f"  {name:<48} {n:>10,}")
    if facts["quality"]:
        q = facts["quality"]
        print(f"expectations: {q['passed']} passed, {q['critical_failed']} critical failed, "
              f"{q['warnings']} warnings ({q['runs']} validation runs, {q['not_built']} tables not built)")
    reports = settings.paths.latest_data_docs
    run_report = settings.paths.latest_report
    print(f"data quality reports (Data Docs): {reports}")
    print(f"run report:                        {run_report}")
    print("warehouse DSN (secret) for psql:   funnelhouse warehouse url")
    print("read-only BI login DSN (secret):   funnelhouse bi url")
    print(line)
