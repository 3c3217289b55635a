"""DDL for the raw layer and its bookkeeping schema `raw_meta` (docs/CONTRACTS.md pins the shapes)."""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

SCHEMAS = {"salesforce": "raw_salesforce", "hubspot": "raw_hubspot"}
META = "raw_meta"
# One lock id for all DDL: parallel DAG tasks creating schemas at the same moment would otherwise
# collide on PostgreSQL's catalog unique indexes.
_DDL_LOCK = 7_214_003_001

RAW_COLUMNS = ("id", "source_updated_at", "record", "is_deleted", "_extracted_at", "_batch_id")

META_DDL = """
create table if not exists raw_meta.sync_state (
    source      text not null,
    object      text not null,
    watermark   timestamptz,
    last_id     text,
    cursor      jsonb,
    reconciled_at timestamptz,
    updated_at  timestamptz not null default now(),
    primary key (source, object)
);
create table if not exists raw_meta.sync_runs (
    batch_id     text primary key,
    run_id       text not null,
    source       text not null,
    object       text not null,
    mode         text not null,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    outcome      text not null,
    rows         bigint not null default 0,
    versions_new bigint not null default 0,
    pages        bigint not null default 0,
    api_calls    bigint not null default 0,
    retries      bigint not null default 0,
    rejected     bigint not null default 0,
    tombstones   bigint not null default 0,
    bytes        bigint not null default 0,
    seconds      double precision not null default 0,
    watermark_before timestamptz,
    watermark_after  timestamptz,
    error        text
);
create index if not exists sync_runs_object on raw_meta.sync_runs (source, object, started_at);
create table if not exists raw_meta.rejected_records (
    source      text not null,
    object      text not null,
    record_id   text,
    reason      text not null,
    payload     jsonb,
    _batch_id   text not null,
    rejected_at timestamptz not null default now()
);
create unique index if not exists rejected_records_once on raw_meta.rejected_records
    (source, object, coalesce(record_id, ''), reason, md5(coalesce(payload::text, '')));
"""


def table_name(object_name: str) -> str:
    """snake_case of the API object name: OpportunityContactRole -> opportunity_contact_role."""
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", object_name.removesuffix("__c"))
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)
    return name.lower() + ("__c" if object_name.endswith("__c") else "")


def raw_table(source: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMAS[source]), sql.Identifier(table))


def ensure_meta(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        conn.execute(f"create schema if not exists {META}")
        conn.execute(META_DDL)


def ensure_raw_table(conn: psycopg.Connection, source: str, table: str) -> None:
    ddl = sql.SQL(
        """create table if not exists {} (
            id                text        not null,
            source_updated_at timestamptz not null,
            record            jsonb       not null,
            is_deleted        boolean     not null,
            _extracted_at     timestamptz not null,
            _batch_id         text        not null,
            primary key (id, source_updated_at)
        )"""
    ).format(raw_table(source, table))
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMAS[source])))
        conn.execute(ddl)
