"""The embedded warehouse: a real PostgreSQL that starts as root, starts twice, stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.core.warehouse import EmbeddedWarehouse, dsn_parts


def test_start_twice_then_stop(tmp_path) -> None:
    wh = EmbeddedWarehouse(tmp_path / "pg")
    dsn = wh.start()
    assert wh.start() == dsn  # second start reuses the running server
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "funnelhouse"
        conn.execute("create table kept (x int)")
        conn.execute("insert into kept values (1)")
    assert wh.stop() is True
    assert not wh.is_running()
    assert wh.stop() is False
    # data and port survive a restart
    assert wh.start() == dsn
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select x from kept").fetchone()[0] == 1
    wh.stop()


def test_cli_url_connects_and_status(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WAREHOUSE_DSN"}
    env["FUNNELHOUSE_STATE_DIR"] = str(tmp_path / "state")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "funnelhouse", "warehouse", *args], capture_output=True,
                              text=True, env=env, cwd=PROJECT_ROOT, timeout=120)

    url = cli("url")
    assert url.returncode == 0, url.stderr
    dsn = url.stdout.strip().splitlines()[-1]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select 1").fetchone()[0] == 1
    assert cli("status").returncode == 0
    psql = cli("psql", "-tAc", "select 40 + 2")
    assert psql.stdout.strip() == "42", psql.stderr
    assert cli("stop").returncode == 0
    assert cli("status").returncode == 3


def test_dsn_parts_handles_socket_and_tcp_forms() -> None:
    tcp = dsn_parts("postgresql://etl:p%40ss@db:6543/wh")
    assert tcp == {"host": "db", "port": "6543", "user": "etl", "password": "p@ss", "dbname": "wh"}
    sock = dsn_parts("postgresql://postgres:@/wh?host=/tmp/sock")
    assert sock["host"] == "/tmp/sock" and sock["dbname"] == "wh"
