"""`funnelhouse bi url` on the embedded default: a login of its own, member of bi_reader, that reads
the marts and is refused everywhere else, on a warehouse that asks every connection for a password."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from urllib.parse import urlparse

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.core.warehouse import EmbeddedWarehouse
from funnelhouse.core.warehouse_auth import with_credentials
from tests.support.marts import seed

PRIVATE = ["raw_salesforce.lead", "raw_hubspot.contacts", "raw_meta.sync_runs", "staging.stg_salesforce__leads",
           "intermediate.int_people", "audit.validation_runs", "audit.expectation_results"]
WRITES = ["insert into marts.win_rates (dimension) values ('x')", "delete from marts.win_rates",
          "create table marts.bi_scratch (id int)", "create schema bi_scratch"]


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    root = tmp_path_factory.mktemp("biurl")
    wh = EmbeddedWarehouse(root / "pg")
    seed(wh.start())
    yield root, wh
    wh.stop()


def _bi_url(root, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WAREHOUSE_DSN", "FUNNELHOUSE_BI_USER", "FUNNELHOUSE_BI_PASSWORD")}
    env.update(FUNNELHOUSE_STATE_DIR=str(root), **extra)
    out = subprocess.run([sys.executable, "-m", "funnelhouse", "bi", "url"], capture_output=True, text=True,
                         env=env, cwd=PROJECT_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_bi_url_reads_marts_only(state) -> None:
    root, wh = state
    url = _bi_url(root)
    parsed = urlparse(url)
    assert parsed.username == "bi_user" and parsed.password and parsed.password != wh.password
    assert parsed.password == (root / "pg" / "bi_password").read_text().strip()
    assert stat.S_IMODE((root / "pg" / "bi_password").stat().st_mode) == 0o600
    assert _bi_url(root) == url  # stable: the stored password is reused
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "bi_user"
        assert conn.execute("select pg_has_role('bi_user', 'bi_reader', 'member')").fetchone()[0]
        assert not conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
        with psycopg.connect(wh.dsn) as admin:
            expected = admin.execute("select count(*) from marts.funnel_stage_volume").fetchone()[0]
        assert conn.execute("select count(*) from marts.funnel_stage_volume").fetchone()[0] == expected
    for relation in PRIVATE:
        with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select * from {relation} limit 1")
    for statement in WRITES:
        with psycopg.connect(url) as conn, pytest.raises(
                (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)):
            conn.execute(statement)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(with_credentials(url, "bi_user", "wrong"), connect_timeout=5).close()


def test_bi_password_from_the_environment(state) -> None:
    root, _ = state
    url = _bi_url(root, FUNNELHOUSE_BI_USER="dash", FUNNELHOUSE_BI_PASSWORD="s3cret-from-env")
    assert urlparse(url).username == "dash" and urlparse(url).password == "s3cret-from-env"
    with psycopg.connect(url) as conn:
        conn.execute("select count(*) from marts.win_rates").fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw_hubspot.contacts limit 1")
