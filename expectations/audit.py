"""The audit trail in the warehouse (schema `audit`), append-only.

`audit.validation_runs`: one row per validation (run id, DAG run id, layer, suite, asset, times,
outcome, counts). `audit.expectation_results`: one row per expectation result (type, column,
severity, success, observed value, unexpected count, a sample of the offending rows' ids).
Triggers reject UPDATE, DELETE and TRUNCATE, so history can only grow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from expectations.results import TargetOutcome

_DDL_LOCK = 7_214_007_001

DDL = """
create schema if not exists audit;
create table if not exists audit.validation_runs (
    id               bigint generated always as identity primary key,
    run_id           text        not null,
    dag_run_id       text,
    layer            text        not null,
    suite            text        not null,
    suite_group      text        not null,
    asset            text        not null,
    status           text        not null,   -- validated | not_built | error
    started_at       timestamptz not null,
    finished_at      timestamptz not null,
    success          boolean     not null,   -- no expectation failed
    critical_success boolean     not null,   -- no critical expectation failed
    evaluated        integer     not null,
    successful       integer     not null,
    failed_critical  integer     not null,
    failed_warning   integer     not null,
    data_docs_path   text,
    recorded_at      timestamptz not null default now()
);
create index if not exists validation_runs_run on audit.validation_runs (run_id);
create index if not exists validation_runs_suite on audit.validation_runs (suite, asset, id);
create table if not exists audit.expectation_results (
    id                 bigint generated always as identity primary key,
    run_id             text        not null,
    suite              text        not null,
    asset              text        not null,
    expectation_id     text,
    expectation_type   text        not null,
    column_name        text,
    severity           text        not null check (severity in ('critical', 'warning')),
    success            boolean     not null,
    observed_value     jsonb,
    unexpected_count   bigint,
    unexpected_percent double precision,
    unexpected_sample  jsonb,
    details            jsonb,                -- e.g. observed/expected distributions
    description        text,
    kwargs             jsonb,
    exception          text,
    recorded_at        timestamptz not null default now()
);
alter table audit.expectation_results add column if not exists details jsonb;
create index if not exists expectation_results_run on audit.expectation_results (run_id);
create index if not exists expectation_results_suite on audit.expectation_results
    (suite, asset, expectation_type, id);
create or replace function audit.forbid_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit.% is append-only: % is not allowed', tg_table_name, tg_op;
end $$;
create or replace trigger validation_runs_append_only before update or delete on audit.validation_runs
    for each row execute function audit.forbid_change();
create or replace trigger validation_runs_no_truncate before truncate on audit.validation_runs
    for each statement execute function audit.forbid_change();
create or replace trigger expectation_results_append_only before update or delete on audit.expectation_results
    for each row execute function audit.forbid_change();
create or replace trigger expectation_results_no_truncate before truncate on audit.expectation_results
    for each statement execute function audit.forbid_change();
create or replace view audit.run_summary as
select run_id, max(dag_run_id) as dag_run_id, string_agg(distinct layer, ',') as layers,
       min(started_at) as started_at, max(finished_at) as finished_at,
       count(*) as validations, bool_and(critical_success) as critical_success, bool_and(success) as success,
       sum(evaluated) as evaluated, sum(successful) as successful,
       sum(failed_critical) as failed_critical, sum(failed_warning) as failed_warning,
       count(*) filter (where status = 'not_built') as not_built,
       max(data_docs_path) as data_docs_path
from audit.validation_runs group by run_id;
"""


def ensure_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        conn.execute(DDL)


def _finite(value: Any) -> Any:
    """JSON for PostgreSQL: NaN/Infinity (e.g. an infinite KL divergence) become strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(_finite(value), default=str, allow_nan=False)


def record(conn: psycopg.Connection, run_id: str, dag_run_id: str | None,
           outcomes: Sequence[TargetOutcome], data_docs_path: str | None) -> None:
    """Append the rows of one validation run, in one transaction."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """insert into audit.validation_runs (run_id, dag_run_id, layer, suite, suite_group, asset, status,
                   started_at, finished_at, success, critical_success, evaluated, successful,
                   failed_critical, failed_warning, data_docs_path)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [(run_id, dag_run_id, o.layer, o.suite, o.group, o.asset, o.status, o.started_at, o.finished_at,
              o.success, o.critical_success, o.evaluated, o.successful, o.failed_critical, o.failed_warning,
              data_docs_path) for o in outcomes],
        )
        cur.executemany(
            """insert into audit.expectation_results (run_id, suite, asset, expectation_id, expectation_type,
                   column_name, severity, success, observed_value, unexpected_count, unexpected_percent,
                   unexpected_sample, details, description, kwargs, exception)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [(run_id, o.suite, o.asset, r.expectation_id, r.expectation_type, r.column, r.severity, r.success,
              _json(r.observed_value), r.unexpected_count, r.unexpected_percent, _json(r.unexpected_sample),
              _json(r.details), r.description, _json(r.kwargs), r.exception)
             for o in outcomes for r in o.results],
        )


def previous_row_counts(conn: psycopg.Connection) -> dict[tuple[str, str], int]:
    """The row count each (suite, asset) had at its most recent validation."""
    found = conn.execute(
        """select distinct on (suite, asset) suite, asset, observed_value
           from audit.expectation_results
           where expectation_type = 'expect_table_row_count_to_be_between' and observed_value is not null
             and jsonb_typeof(observed_value) = 'number'
           order by suite, asset, id desc"""
    ).fetchall()
    return {(suite, asset): int(value) for suite, asset, value in found}


def previous_partitions(conn: psycopg.Connection) -> dict[tuple[str, str, str], dict]:
    """The distribution each (suite, asset, column) had at its most recent mix-drift check."""
    found = conn.execute(
        """select distinct on (suite, asset, column_name) suite, asset, column_name,
                  details->'observed_partition'
           from audit.expectation_results
           where expectation_type = 'expect_column_kl_divergence_to_be_less_than'
             and details ? 'observed_partition'
           order by suite, asset, column_name, id desc"""
    ).fetchall()
    return {(suite, asset, col): part for suite, asset, col, part in found if part}


def run_id_used(conn: psycopg.Connection, run_id: str) -> bool:
    return conn.execute("select exists(select 1 from audit.validation_runs where run_id = %s)",
                        (run_id,)).fetchone()[0]


@dataclass(frozen=True)
class RunRow:
    run_id: str
    dag_run_id: str | None
    layers: str
    started_at: datetime
    finished_at: datetime
    validations: int
    critical_success: bool
    success: bool
    evaluated: int
    failed_critical: int
    failed_warning: int
    not_built: int
    data_docs_path: str | None


def history(conn: psycopg.Connection, limit: int = 20) -> list[RunRow]:
    found = conn.execute(
        """select run_id, dag_run_id, layers, started_at, finished_at, validations, critical_success, success,
                  evaluated, failed_critical, failed_warning, not_built, data_docs_path
           from audit.run_summary order by started_at desc limit %s""",
        (limit,),
    ).fetchall()
    return [RunRow(*row) for row in found]
