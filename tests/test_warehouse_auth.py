"""The embedded warehouse asks for a password on TCP and on its socket, keeps it 0600, and migrates
an earlier version's trust-auth state folder without losing a row."""

from __future__ import annotations

import socket
import stat
import subprocess

import psycopg
import pytest

from funnelhouse.core.warehouse import EmbeddedWarehouse, _bin
from funnelhouse.core.warehouse_auth import with_credentials


def _refused(conninfo: str) -> str:
    with pytest.raises(psycopg.OperationalError) as exc:
        psycopg.connect(conninfo, connect_timeout=5).close()
    return str(exc.value)


def test_no_password_no_connection_tcp_and_socket(tmp_path) -> None:
    wh = EmbeddedWarehouse(tmp_path / "pg")
    dsn = wh.start()
    try:
        password = wh.password
        assert password and f":{password}@" in dsn
        assert stat.S_IMODE(wh.password_file.stat().st_mode) == 0o600
        port = wh.port
        tcp = f"host=127.0.0.1 port={port} user=postgres dbname=funnelhouse"
        assert "password" in _refused(tcp)
        assert "password authentication failed" in _refused(tcp + " password=wrong")
        assert wh.socket_dir is not None, "the test's state folder should be short enough for a socket"
        sock = f"host={wh.socket_dir} port={port} user=postgres dbname=funnelhouse"
        assert "password" in _refused(sock)
        with psycopg.connect(sock + f" password={password}") as conn:
            assert conn.execute("select current_user").fetchone()[0] == "postgres"
        # not listening beyond loopback
        with psycopg.connect(dsn) as conn:
            assert conn.execute("show listen_addresses").fetchone()[0] == "127.0.0.1"
    finally:
        wh.stop()


def test_trust_state_folder_is_migrated_keeping_every_row(tmp_path) -> None:
    """A state folder made the way earlier versions did (initdb --auth=trust) with rows in it."""
    wh = EmbeddedWarehouse(tmp_path / "pg")
    wh.root.mkdir()
    wh.pgdata.mkdir()
    run_as = wh._run_as()
    subprocess.run([_bin("initdb"), "-D", str(wh.pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres",
                    "--no-instructions"], check=True, capture_output=True, **run_as)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (wh.root / "port").write_text(str(port))
    subprocess.run([_bin("pg_ctl"), "-D", str(wh.pgdata), "-w", "-o",
                    f"-h 127.0.0.1 -p {port} -c unix_socket_directories=''", "-l", str(wh.pgdata / "log"),
                    "start"], check=True, capture_output=True, **run_as)
    trust = f"postgresql://postgres@127.0.0.1:{port}"
    with psycopg.connect(trust + "/postgres", autocommit=True) as conn:
        conn.execute("create database funnelhouse")
    with psycopg.connect(trust + "/funnelhouse") as conn:
        conn.execute("create schema raw_salesforce")
        conn.execute("create table raw_salesforce.lead as select g as id, 'p' || g || '@x.test' as email "
                     "from generate_series(1, 1000) g")
    subprocess.run([_bin("pg_ctl"), "-D", str(wh.pgdata), "-w", "-m", "fast", "stop"], check=True,
                   capture_output=True, **run_as)
    assert not wh.password_file.exists()

    dsn = wh.start()  # the new code, on the old folder
    try:
        assert wh.port == port
        with psycopg.connect(dsn) as conn:
            count, ids = conn.execute("select count(*), sum(id) from raw_salesforce.lead").fetchone()
        assert (count, ids) == (1000, 1000 * 1001 // 2)
        assert "password" in _refused(trust + "/funnelhouse")
        assert "password authentication failed" in _refused(with_credentials(dsn, "postgres", "guess"))
        assert stat.S_IMODE(wh.password_file.stat().st_mode) == 0o600
    finally:
        wh.stop()
    # and the password holds across a restart
    assert wh.start() == dsn
    try:
        assert "password" in _refused(trust + "/funnelhouse")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select count(*) from raw_salesforce.lead").fetchone()[0] == 1000
    finally:
        wh.stop()
