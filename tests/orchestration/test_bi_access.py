"""The BI role on a real PostgreSQL: reads every mart, and gets permission errors on everything else."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import psycopg
import pytest

from funnelhouse.core.warehouse_auth import with_credentials
from funnelhouse.orchestration.bi import BI_ROLE, grant_bi_access
from tests.support.marts import seed


@pytest.fixture(scope="module")
def bi(make_database):
    dsn = make_database("bi")
    seed(dsn)
    user = f"bi_user_{uuid.uuid4().hex[:6]}"
    granted = grant_bi_access(dsn, login_user=user, login_password="bi-test-password")
    bi_dsn = with_credentials(dsn, user, "bi-test-password")
    return dsn, bi_dsn, granted


def test_grant_lists_every_mart(bi) -> None:
    _, _, granted = bi
    assert granted["role"] == BI_ROLE
    assert set(granted["tables"]) >= {"funnel_stage_volume", "attribution_campaign", "win_rates"}


def test_bi_reads_every_mart(bi) -> None:
    dsn, bi_dsn, granted = bi
    with psycopg.connect(bi_dsn) as conn:
        for table in granted["tables"]:
            conn.execute(f'select count(*) from marts."{table}"').fetchone()


@pytest.mark.parametrize("relation", ["raw_salesforce.lead", "raw_hubspot.contacts", "raw_meta.sync_runs",
                                      "staging.stg_salesforce__leads", "intermediate.int_people",
                                      "seeds.funnel_stage_mapping", "audit.validation_runs",
                                      "audit.expectation_results"])
def test_bi_cannot_read_outside_marts(bi, relation: str) -> None:
    _, bi_dsn, _ = bi
    with psycopg.connect(bi_dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"select * from {relation} limit 1")


@pytest.mark.parametrize("statement", [
    "insert into marts.win_rates (dimension) values ('x')",
    "update marts.win_rates set won_count = 0",
    "delete from marts.win_rates",
    "truncate marts.win_rates",
    "drop table marts.win_rates",
    "create table marts.bi_scratch (id int)",
    "create table public.bi_scratch (id int)",
    "create schema bi_scratch",
])
def test_bi_cannot_write(bi, statement: str) -> None:
    _, bi_dsn, _ = bi
    with psycopg.connect(bi_dsn) as conn, pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)) as err:
        conn.execute(statement)
    assert err.value.sqlstate in ("42501", "25006")


def test_privileges_survive_a_mart_rebuild(bi) -> None:
    """dbt drops and recreates table marts; default privileges keep the new table readable, and the
    next publish re-grants anyway."""
    dsn, bi_dsn, _ = bi
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table marts.win_rates")
        conn.execute("create table marts.win_rates as select 1 as won_count")
    with psycopg.connect(bi_dsn) as conn:
        assert conn.execute("select won_count from marts.win_rates").fetchone() == (1,)
    with psycopg.connect(bi_dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from raw_salesforce.lead")


def test_grant_is_idempotent(bi) -> None:
    dsn, bi_dsn, granted = bi
    again = grant_bi_access(dsn, login_user=urlparse(bi_dsn).username)
    assert again["tables"] == sorted(granted["tables"]) or set(again["tables"]) == set(granted["tables"])
