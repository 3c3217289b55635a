"""`dbt source freshness` in each DAG run: how old the newest CRM change in each raw table is, stored in
`audit.source_freshness` next to the quality audit. A stale source is a warning: logged and recorded,
never a failed run (the raw GX suite already fails what must fail; this is the data's own clock).

Age is measured to the run's as-of time, not the wall clock (the sources' `loaded_at_field` shifts
`source_updated_at` by now() − as_of): a sandbox world whose clock is in the past is as fresh as a live
CRM, and re-running an old as-of gives the same verdict.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger("funnelhouse.orchestration")

DDL = """
create schema if not exists audit;
create table if not exists audit.source_freshness (
    id             bigserial primary key,
    run_id         text not null,
    as_of          timestamptz,
    source         text not null,
    table_name     text not null,
    status         text not null,
    newest_change_at timestamptz,
    age_seconds    double precision,
    warn_after     text,
    error_after    text,
    message        text,
    checked_at     timestamptz not null default now()
);
create index if not exists source_freshness_run on audit.source_freshness (run_id);
create or replace function audit.source_freshness_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit.source_freshness is append-only: % is not allowed', tg_op;
end $$;
create or replace trigger source_freshness_append_only before update or delete on audit.source_freshness
    for each row execute function audit.source_freshness_append_only();
create or replace trigger source_freshness_no_truncate before truncate on audit.source_freshness
    for each statement execute function audit.source_freshness_append_only();
"""
_DDL_LOCK = 7_214_007_019


@dataclass(frozen=True)
class FreshnessResult:
    source: str
    table_name: str
    status: str  # pass | warn | error | runtime error
    newest_change_at: str | None  # the newest source_updated_at of the table
    age_seconds: float | None
    warn_after: str | None
    error_after: str | None
    message: str | None


def _threshold(criteria: dict[str, Any], key: str) -> str | None:
    rule = (criteria or {}).get(key) or {}
    return f"{rule['count']} {rule['period']}" if rule.get("count") and rule.get("period") else None


def parse_sources_json(path: Path, as_of: datetime | None = None) -> list[FreshnessResult]:
    """The results of dbt's `sources.json` artifact (one per source table with a freshness rule)."""
    results = []
    for r in json.loads(path.read_text()).get("results", []):
        _, _, source, table = r["unique_id"].split(".", 3)
        criteria = r.get("criteria") or {}
        # dbt's max_loaded_at is the shifted value (see loaded_at_field); the real newest change is the
        # same distance before the as-of time as max_loaded_at is before the check (snapshotted_at)
        newest = None
        if r.get("max_loaded_at") and r.get("snapshotted_at"):
            loaded, snapshot = (datetime.fromisoformat(r[k].replace("Z", "+00:00"))
                                for k in ("max_loaded_at", "snapshotted_at"))
            newest = (loaded - (snapshot - as_of)).isoformat() if as_of else loaded.isoformat()
        results.append(FreshnessResult(
            source=source, table_name=table, status=r["status"], newest_change_at=newest,
            age_seconds=r.get("max_loaded_at_time_ago_in_s"), warn_after=_threshold(criteria, "warn_after"),
            error_after=_threshold(criteria, "error_after"), message=r.get("error")))
    return results


def record(dsn: str, run_id: str, as_of: str | None, results: list[FreshnessResult]) -> None:
    with psycopg.connect(dsn) as conn:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
            conn.execute(DDL)
        with conn.cursor() as cur:
            cur.executemany(
                "insert into audit.source_freshness (run_id, as_of, source, table_name, status, newest_change_at,"
                " age_seconds, warn_after, error_after, message) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(run_id, as_of, r.source, r.table_name, r.status, r.newest_change_at, r.age_seconds, r.warn_after,
                  r.error_after, r.message) for r in results])


def check_source_freshness(dsn: str, run_id: str, as_of: str | None, out_dir: Path) -> dict[str, Any]:
    """Run `dbt source freshness` with the run's as-of time, store every result, warn on stale ones."""
    from funnelhouse.dbt import run_dbt

    output = out_dir / "sources.json"
    output.unlink(missing_ok=True)
    run_dbt(["source", "freshness"], dsn, vars={"as_of": as_of} if as_of else None, target_dir=out_dir)
    if not output.exists():
        raise RuntimeError(f"dbt source freshness wrote no {output}")
    as_of_time = datetime.fromisoformat(as_of.replace("Z", "+00:00")) if as_of else None
    results = parse_sources_json(output, as_of_time)
    record(dsn, run_id, as_of, results)
    stale = [r for r in results if r.status != "pass"]
    for r in stale:
        hours = f"{r.age_seconds / 3600:.1f} h" if r.age_seconds is not None else "unknown age"
        log.warning("source freshness %s: %s.%s newest change %s before the as-of time (warn after %s)%s",
                    r.status, r.source, r.table_name, hours, r.warn_after, f": {r.message}" if r.message else "")
    return {"checked": len(results), "stale": [asdict(r) for r in stale], "output": str(output)}
