"""The short, human summary printed at the end of a run."""

from __future__ import annotations

import psycopg
from psycopg import sql

from funnelhouse.config import Settings


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = %s order by 1", (schema,)
    ).fetchall()
    return [r[0] for r in rows]


def _count(conn: psycopg.Connection, schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    return conn.execute(query).fetchone()[0]


def collect(dsn: str) -> dict:
    """Row counts per raw table and mart, and the latest quality results (whatever exists)."""
    out: dict = {"raw": {}, "marts": {}, "quality": None}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema in ("raw_salesforce", "raw_hubspot"):
            for table in _tables(conn, schema):
                out["raw"][f"{schema}.{table}"] = _count(conn, schema, table)
        for table in _tables(conn, "marts"):
            out["marts"][table] = _count(conn, "marts", table)
        if "expectation_results" in _tables(conn, "audit") and "validation_runs" in _tables(conn, "audit"):
            row = conn.execute(
                """
                with last_run as (
                    select run_id from audit.validation_runs order by finished_at desc limit 1
                )
                select count(*) filter (where r.success),
                       count(*) filter (where not r.success and r.severity = 'critical'),
                       count(*) filter (where not r.success and r.severity <> 'critical')
                from audit.expectation_results r
                join audit.validation_runs v using (validation_id)
                where v.run_id = (select run_id from last_run)
                """
            ).fetchone()
            out["quality"] = {"passed": row[0], "critical_failed": row[1], "warnings": row[2]}
    return out


def print_summary(dsn: str, settings: Settings, seconds: float, dag_ok: bool) -> None:
    try:
        facts = collect(dsn)
    except psycopg.Error as exc:
        print(f"(summary unavailable: {str(exc).splitlines()[0]})")
        return
    line = "=" * 72
    print(line)
    print(f"Funnelhouse run {'SUCCEEDED' if dag_ok else 'FAILED'} in {seconds:.0f}s")
    print(line)
    if facts["raw"]:
        print("raw layer (record versions kept per object):")
        for name, n in facts["raw"].items():
            print(f"  {name:<48} {n:>10,}")
    if facts["marts"]:
        print(f"marts built: {len(facts['marts'])} (schema marts)")
        for name, n in facts["marts"].items():
            print(f"  {name:<48} {n:>10,}")
    if facts["quality"]:
        q = facts["quality"]
        print(f"expectations: {q['passed']} passed, {q['critical_failed']} critical failed, {q['warnings']} warnings")
    reports = settings.state_dir / "quality" / "data_docs" / "latest" / "index.html"
    run_report = settings.state_dir / "reports" / "latest" / "index.html"
    print(f"data quality reports (Data Docs): {reports}")
    print(f"run report:                        {run_report}")
    print("warehouse DSN for psql/BI:         funnelhouse warehouse url")
    print(line)
