"""The session's PostgreSQL (embedded pgserver, or the server in TEST_WAREHOUSE_DSN) and the databases
tests make on it: fresh ones, and clones of a database another fixture already filled (a
`create database ... template` copy is a file copy, far cheaper than extracting and building again)."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import psycopg
from psycopg.rows import dict_row


def database_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}".lower()


def with_database(dsn: str, name: str) -> str:
    return urlparse(dsn)._replace(path=f"/{name}").geturl()


def create_database(server_dsn: str, prefix: str = "t", template: str | None = None) -> str:
    """A new database on the server of `server_dsn` (empty, or a copy of the database `template`
    names); returns its DSN."""
    name = database_name(prefix[:40])
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        if template is None:
            conn.execute(f'create database "{name}"')
        else:
            source = urlparse(template).path.lstrip("/")
            # A template must have no other sessions; a test that just read it may still be closing.
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> "
                         "pg_backend_pid()", (source,))
            conn.execute(f'create database "{name}" template "{source}"')
    return with_database(server_dsn, name)


def fetch(dsn: str, sql: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def scalar(dsn: str, sql: str, params: tuple = ()):
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]
