"""What several benchmarks share: a database to run in, and a timed CREATE TABLE AS."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg


def bench_database(dsn: str | None, state: Path, database: str) -> str:
    """`dsn` when given; otherwise database `database` (created if missing) on an embedded server kept
    under `state`/pg, so a second run of the benchmark reuses what the first one loaded."""
    if dsn:
        return dsn
    from funnelhouse.core.warehouse import EmbeddedWarehouse

    base = EmbeddedWarehouse(state / "pg").start().rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone():
            conn.execute(f'create database "{database}"')
    return f"{base}/{database}"


def timed_ctas(dsn: str, name: str, select: str, work_mem: str | None = None) -> float:
    """Seconds to `create table bench.<name> as <select>` (commit included) after a checkpoint, so
    every figure is timed the same way; the table is dropped afterwards."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema if not exists bench")
        conn.execute(f"drop table if exists bench.{name}")
        conn.execute("checkpoint")
        started = time.perf_counter()
        with conn.transaction():
            if work_mem:
                conn.execute(f"set local work_mem = '{work_mem}'")
            conn.execute(f"create table bench.{name} as {select}")
        elapsed = time.perf_counter() - started
        conn.execute(f"drop table bench.{name}")
    return elapsed
