"""A small stand-in for the extractors: create the raw tables of docs/CONTRACTS.md and load record
versions into them. Used by the model tests so they do not depend on the extraction code."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import psycopg

RAW_TABLES = {
    "raw_salesforce": [
        "lead", "contact", "account", "opportunity", "opportunity_history", "opportunity_contact_role",
        "opportunity_line_item", "product2", "campaign", "campaign_member", "lead_history", "task", "event",
        "user", "user_role",
    ],
    "raw_hubspot": [
        "contacts", "companies", "deals", "line_items", "calls", "emails", "meetings", "owners",
        "deal_pipelines", "associations", "marketing_event_participations", "contact_merges",
        "marketing_events",
    ],
}


def create_raw_tables(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema, tables in RAW_TABLES.items():
            conn.execute(f"create schema if not exists {schema}")
            for table in tables:
                conn.execute(
                    f'create table if not exists {schema}."{table}" ('
                    " id text not null, source_updated_at timestamptz not null, record jsonb not null,"
                    " is_deleted boolean not null default false, _extracted_at timestamptz not null,"
                    " _batch_id text not null, primary key (id, source_updated_at))"
                )


def load(dsn: str, schema: str, table: str, rows: Iterable[dict], batch_id: str = "test",
         extracted_at: datetime | None = None) -> int:
    """rows: dicts with id, source_updated_at, record (and optional is_deleted). Same version twice = no-op."""
    extracted_at = extracted_at or datetime.now(UTC)
    n = 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        data = [
            (r["id"], r["source_updated_at"], json.dumps(r["record"]), bool(r.get("is_deleted", False)),
             extracted_at, batch_id)
            for r in rows
        ]
        cur.executemany(
            f'insert into {schema}."{table}" (id, source_updated_at, record, is_deleted, _extracted_at, _batch_id)'
            " values (%s, %s, %s, %s, %s, %s) on conflict do nothing",
            data,
        )
        n = len(data)
    return n
