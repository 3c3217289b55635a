"""Write-audit-publish for the marts: build into a shadow schema, validate it, swap it in atomically.

    reset_shadow(dsn)                         # start of a run: no leftovers of a failed/killed run
    dbt build --vars '{marts_schema: marts__next}'
    validate(dsn, "staging,marts", schema_map=SHADOW_MAP)
    publish_shadow(dsn, run_id, ..., validation=summary)   # published or withheld, one audit row

What BI reads in `marts` is only ever changed by the one transaction in `_swap`: it locks the live
marts (readers finish first), renames `marts` -> `marts__prev` and `marts__next` -> `marts`, and
appends the `audit.publications` row. Everything before it (dbt, GX, grants, the
`_published_run_id` column) touches only the shadow, so a failure or a SIGKILL anywhere leaves the
live marts exactly as the last publication left them; PostgreSQL rolls back a killed swap.
Staging and intermediate are rebuilt in place: BI never reads them and every run rebuilds them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from funnelhouse.orchestration.bi import BI_ROLE, MARTS_SCHEMA, grant_bi_access

log = logging.getLogger(__name__)

SHADOW_SCHEMA = "marts__next"
PREVIOUS_SCHEMA = "marts__prev"
SHADOW_MAP = {MARTS_SCHEMA: SHADOW_SCHEMA}
SHADOW_VARS = {"marts_schema": SHADOW_SCHEMA}
RUN_ID_COLUMN = "_published_run_id"

_DDL = """
create schema if not exists audit;
create table if not exists audit.publications (
    id              bigserial primary key,
    run_id          text not null,
    dag_run_id      text,
    decision        text not null check (decision in ('published', 'withheld')),
    reason          text,
    failed_expectations jsonb not null default '[]',
    row_counts      jsonb not null default '{}',
    raw_watermarks  jsonb not null default '{}',
    dbt_manifest_hash text,
    gx_run_ids      jsonb not null default '[]',
    timings         jsonb not null default '{}',
    recorded_at     timestamptz not null default now()
);
-- append-only like the rest of `audit`: corrections are new rows, never edits
create or replace function audit.publications_append_only() returns trigger language plpgsql as $$
begin raise exception 'audit.publications is append-only'; end $$;
drop trigger if exists publications_append_only on audit.publications;
create trigger publications_append_only before update or delete on audit.publications
    for each row execute function audit.publications_append_only();
"""


@dataclass
class Publication:
    run_id: str
    dag_run_id: str | None
    decision: str
    reason: str | None = None
    failed_expectations: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    raw_watermarks: dict[str, str | None] = field(default_factory=dict)
    dbt_manifest_hash: str | None = None
    gx_run_ids: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return self.decision == "published"


def ensure_audit(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('funnelhouse.audit.publications'))")
        if conn.execute("select to_regclass('audit.publications')").fetchone()[0] is None:
            conn.execute(_DDL)


def reset_shadow(dsn: str) -> None:
    """Drop what a failed or killed run left in the shadow, so a run never publishes a mix."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SHADOW_SCHEMA)))
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SHADOW_SCHEMA)))


def tables(conn: psycopg.Connection, schema: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by 1", (schema,))]


def raw_watermarks(conn: psycopg.Connection) -> dict[str, str | None]:
    """`source.object` -> the extraction watermark the raw data (and so these marts) was built from."""
    if conn.execute("select to_regclass('raw_meta.sync_state')").fetchone()[0] is None:
        return {}
    return {f"{s}.{o}": (w.isoformat() if w else None) for s, o, w in conn.execute(
        "select source, object, watermark from raw_meta.sync_state order by 1, 2")}


def manifest_hash(built: Any = None) -> str | None:
    """sha256 of the dbt manifest the run was built from: `built` (the manifest.json the run's
    `dbt build` wrote), else the one the DAG's tasks were rendered from."""
    if built is not None and Path(built).is_file():
        return hashlib.sha256(Path(built).read_bytes()).hexdigest()
    try:
        from funnelhouse.orchestration.dbt_render import ensure_manifest

        return hashlib.sha256(ensure_manifest().read_bytes()).hexdigest()
    except Exception:  # noqa: BLE001 - an audit field, never a reason to withhold
        return None


def failed_critical(validation: dict[str, Any] | None) -> list[str]:
    """The failed critical expectations of a (JSON) validation summary, by suite, table and type:
    its `to_dict()` form (failed_critical_expectations) or its dataclass form (outcomes/results)."""
    v = validation or {}
    named = list(v.get("failed_critical_expectations") or [])
    for o in v.get("outcomes") or [] if not named else []:
        for r in o.get("results") or []:
            if not r.get("success", True) and r.get("severity") == "critical":
                column = f" column {r['column']}" if r.get("column") else ""
                named.append(f"{o.get('suite')} on {o.get('asset')}: {r.get('expectation_type')}{column}")
    if not named and v.get("success") is False:
        named = [f"validation {v.get('run_id')}: {v.get('critical_failures')} critical failure(s)"]
    return named


def publish_shadow(dsn: str, run_id: str, dag_run_id: str | None = None,
                   validations: list[dict[str, Any]] | None = None, error: str | None = None,
                   timings: dict[str, float] | None = None, manifest: Any = None) -> Publication:
    """Swap the validated shadow in as `marts`, or withhold it; either way one audit row."""
    validations = [v for v in (validations or []) if isinstance(v, dict)]
    failed = [f for v in validations for f in failed_critical(v)]
    timings = dict(timings or {})
    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_audit(conn)
        shadow = tables(conn, SHADOW_SCHEMA)
        pub = Publication(run_id, dag_run_id, "withheld", raw_watermarks=raw_watermarks(conn),
                          dbt_manifest_hash=manifest_hash(manifest),
                          gx_run_ids=[str(v.get("run_id")) for v in validations if v.get("run_id")],
                          failed_expectations=failed)
        if error is None and not validations:
            error = "the shadow marts were not validated"
        if error is None and not shadow:
            error = f"nothing was built in {SHADOW_SCHEMA}"
        if error or failed:
            pub.reason = error or f"{len(failed)} critical expectation(s) failed"
            pub.row_counts = _counts(conn, SHADOW_SCHEMA, shadow)
            pub.timings = timings
            _record(conn, pub)
            return pub
        clock = time.monotonic()
        _stamp_and_grant(conn, dsn, run_id, shadow)
        pub.row_counts = _counts(conn, SHADOW_SCHEMA, shadow)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS_SCHEMA)))
        timings["prepare_swap_seconds"] = round(time.monotonic() - clock, 4)
        pub.decision, pub.reason, pub.timings = "published", "all critical expectations passed", timings
        # The swap takes its locks with NOWAIT and retries: waiting while holding some marts could
        # deadlock with a BI query that holds another (PostgreSQL would abort the query). Never
        # waiting while holding means readers only ever wait, for milliseconds; a failed try changed nothing.
        for attempt in range(_SWAP_TRIES):
            try:
                _swap(conn, pub, nowait=attempt < _SWAP_TRIES - 1)
                break
            except psycopg.errors.LockNotAvailable:
                time.sleep(0.01)
        else:  # BI sessions held the live marts through every try and the lock_timeout: nothing changed
            pub.decision = "withheld"
            pub.reason = (f"the swap could not lock the live marts ({_SWAP_TRIES} tries, then lock_timeout): "
                          "BI sessions held them; marts unchanged")
            _record(conn, pub)
    return pub


def _stamp_and_grant(conn: psycopg.Connection, dsn: str, run_id: str, shadow: list[str]) -> None:
    """`_published_run_id` on every shadow table (a constant default: catalog-only, no rewrite) and
    bi_reader's grants on the shadow, so the swap itself only renames."""
    grant_bi_access(dsn)
    with conn.transaction():
        for name in shadow:
            if conn.execute("select relkind from pg_class where oid = %s::regclass",
                            (f'"{SHADOW_SCHEMA}"."{name}"',)).fetchone()[0] not in ("r", "p"):
                continue
            conn.execute(sql.SQL("alter table {}.{} add column if not exists {} text not null default {}").format(
                sql.Identifier(SHADOW_SCHEMA), sql.Identifier(name), sql.Identifier(RUN_ID_COLUMN),
                sql.Literal(run_id)))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(SHADOW_SCHEMA),
                                                                     sql.Identifier(BI_ROLE)))
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
            sql.Identifier(SHADOW_SCHEMA), sql.Identifier(BI_ROLE)))


_SWAP_TRIES = 1000
_LOCK_TIMEOUT = "60s"  # the last try waits this long for BI sessions to let go of the live marts


def _swap(conn: psycopg.Connection, pub: Publication, nowait: bool = True) -> None:
    """The one transaction BI can notice: wait for readers of the live marts, rename, record."""
    with conn.transaction():
        started = time.monotonic()
        conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(_LOCK_TIMEOUT)))
        live = tables(conn, MARTS_SCHEMA)
        if live:
            conn.execute(sql.SQL("lock table {} in access exclusive mode" + (" nowait" if nowait else "")).format(
                sql.SQL(", ").join(sql.Identifier(MARTS_SCHEMA, t) for t in live)))
        if conn.execute("select 1 from pg_namespace where nspname = %s", (MARTS_SCHEMA,)).fetchone():
            conn.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(MARTS_SCHEMA),
                                                                       sql.Identifier(PREVIOUS_SCHEMA)))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(SHADOW_SCHEMA),
                                                                   sql.Identifier(MARTS_SCHEMA)))
        pub.timings["swap_lock_seconds"] = round(time.monotonic() - started, 4)
        _record(conn, pub)


def _counts(conn: psycopg.Connection, schema: str, names: list[str]) -> dict[str, int]:
    return {n: conn.execute(sql.SQL("select count(*) from {}.{}").format(
        sql.Identifier(schema), sql.Identifier(n))).fetchone()[0] for n in names}


def _record(conn: psycopg.Connection, pub: Publication) -> None:
    row = asdict(pub)
    conn.execute(
        """insert into audit.publications (run_id, dag_run_id, decision, reason, failed_expectations, row_counts,
               raw_watermarks, dbt_manifest_hash, gx_run_ids, timings)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (pub.run_id, pub.dag_run_id, pub.decision, (pub.reason or "")[:4000],
         *(json.dumps(row[k], default=str) for k in ("failed_expectations", "row_counts", "raw_watermarks")),
         pub.dbt_manifest_hash, json.dumps(pub.gx_run_ids), json.dumps(pub.timings)))


def live_run(dsn: str) -> dict[str, Any] | None:
    """The publication BI reads now (the newest `published` row), or None before the first."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("select to_regclass('audit.publications')").fetchone()[0] is None:
            return None
        row = conn.execute("select run_id, dag_run_id, recorded_at from audit.publications "
                           "where decision = 'published' order by id desc limit 1").fetchone()
    return None if row is None else {"run_id": row[0], "dag_run_id": row[1], "published_at": row[2].isoformat()}


def history(dsn: str, limit: int = 20) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("select to_regclass('audit.publications')").fetchone()[0] is None:
            return []
        cur = conn.execute("select id, run_id, dag_run_id, decision, reason, failed_expectations, row_counts, "
                           "timings, gx_run_ids, recorded_at from audit.publications order by id desc limit %s",
                           (limit,))
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur]


def show_in_data_docs(dsn: str, docs_root: Any) -> Path:
    """Write the publication log into the Data Docs (publications.json; the index's live-run banner
    and its `publication` column), so an auditor reading the checks sees which run BI reads."""
    from expectations.docs import write_publications

    rows = [{k: r[k] for k in ("run_id", "dag_run_id", "decision", "reason", "gx_run_ids")}
            | {"recorded_at": r["recorded_at"].astimezone(UTC).isoformat()} for r in history(dsn, limit=500)]
    return write_publications(Path(docs_root), rows)


def build_validate_publish(dsn: str, run_id: str, *, build: bool = True, as_of: str | None = None,
                           state_dir: Any = None, data_docs: bool = True, full_refresh: bool = False) -> Publication:
    """The whole write-audit-publish without Airflow (`funnelhouse publish`): fresh shadow, `dbt build`
    into it (unless `build` is off: publish a shadow built by hand), the GX suites on it, the swap.
    `full_refresh` rebuilds the incremental staging/intermediate models from all of raw (erasure)."""
    from expectations.runner import validate
    from funnelhouse.core.paths import DBT_PROJECT_DIR
    from funnelhouse.dbt import run_dbt

    timings: dict[str, float] = {}
    error = None
    if build:
        clock = time.monotonic()
        reset_shadow(dsn)
        refresh = ["--full-refresh"] if full_refresh else []
        result = run_dbt(["build", "--exclude", "resource_type:unit_test", *refresh], dsn,
                         vars={**SHADOW_VARS, **({"as_of": as_of} if as_of else {})})
        timings["dbt_build_seconds"] = round(time.monotonic() - clock, 3)
        if not result.success:
            failed = [f["unique_id"] for f in result.failures][:20]
            error = f"dbt build failed: {', '.join(failed) or 'see the dbt log'}"
    validations: list[dict[str, Any]] = []
    if error is None:
        clock = time.monotonic()
        summary = validate(dsn, "staging,marts", run_id=f"{run_id}-marts", dag_run_id=None,
                           data_docs=data_docs, state_dir=state_dir, schema_map=SHADOW_MAP)
        validations.append(summary.to_dict())
        timings["validate_seconds"] = round(time.monotonic() - clock, 3)
    clock = time.monotonic()
    built = DBT_PROJECT_DIR / "target" / "manifest.json" if build else None
    pub = publish_shadow(dsn, run_id, None, validations, error=error, timings=timings, manifest=built)
    pub.timings["publish_seconds"] = round(time.monotonic() - clock, 3)
    if data_docs:
        from funnelhouse.core.paths import StatePaths
        from funnelhouse.core.settings import load_settings

        try:  # the decision is made and recorded; the HTML index only reports it
            show_in_data_docs(dsn, StatePaths(Path(state_dir) if state_dir else load_settings().state_dir).data_docs)
        except Exception:  # noqa: BLE001
            log.exception("writing the publication log into the Data Docs failed")
    return pub
