"""Read-only access for BI tools: the group role `bi_reader` may read schema `marts` and nothing else.

dbt's table materialisation drops and recreates each mart on every run, which drops its grants too.
So the grants are (re)applied at every publish, and `ALTER DEFAULT PRIVILEGES` covers tables the
pipeline's own role creates in `marts` between two publishes. A BI login user is a member of the
role: `funnelhouse bi url` creates it (`bi_user`, or `FUNNELHOUSE_BI_USER`; password from
`FUNNELHOUSE_BI_PASSWORD`, else generated into the state folder) and prints its DSN; granting another
dashboard access is one `GRANT bi_reader TO ...`.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from funnelhouse.core.runtime import bi_login
from funnelhouse.core.settings import Settings
from funnelhouse.core.warehouse import ensure_running
from funnelhouse.core.warehouse_auth import bi_credentials, set_password, with_credentials

BI_ROLE = "bi_reader"
MARTS_SCHEMA = "marts"
# Schemas BI must never see; access to them is revoked explicitly in case someone granted it by hand.
PRIVATE_SCHEMAS = ("raw_salesforce", "raw_hubspot", "raw_meta", "staging", "intermediate", "seeds", "audit",
                   "analytics", "public")


def grant_bi_access(dsn: str, role: str = BI_ROLE, login_user: str | None = None,
                    login_password: str | None = None) -> dict:
    """Create/refresh the read-only role; idempotent. Returns what was granted (no secrets)."""
    env_user, env_password = bi_login()
    login_user = login_user if login_user is not None else env_user
    login_password = login_password if login_password is not None else env_password
    ident = sql.Identifier(role)
    with psycopg.connect(dsn, autocommit=True) as conn:
        owner = conn.execute("select current_user").fetchone()[0]
        database = conn.execute("select current_database()").fetchone()[0]
        _create_role(conn, role, login=False)
        # A read-only session even if a grant slips through; the role cannot create anything either.
        conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(ident))
        conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), ident))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(MARTS_SCHEMA)))
        with conn.transaction():
            conn.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(MARTS_SCHEMA), ident))
            conn.execute(sql.SQL("revoke create on schema {} from {}").format(sql.Identifier(MARTS_SCHEMA), ident))
            conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
                sql.Identifier(MARTS_SCHEMA), ident))
            conn.execute(sql.SQL("alter default privileges for role {} in schema {} grant select on tables to {}")
                         .format(sql.Identifier(owner), sql.Identifier(MARTS_SCHEMA), ident))
            existing = {r[0] for r in conn.execute(
                "select nspname from pg_namespace where nspname = any(%s)", (list(PRIVATE_SCHEMAS),))}
            for schema in sorted(existing):
                conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(
                    sql.Identifier(schema), ident))
                conn.execute(sql.SQL("revoke all on schema {} from {}").format(sql.Identifier(schema), ident))
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s order by 1",
            (MARTS_SCHEMA,))]
        result = {"role": role, "schema": MARTS_SCHEMA, "tables": tables, "login_user": None}
        if login_user:
            _create_role(conn, login_user, login=True, password=login_password or None)
            conn.execute(sql.SQL("grant {} to {}").format(ident, sql.Identifier(login_user)))
            conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(
                sql.Identifier(login_user)))
            result["login_user"] = login_user
    return result


def _create_role(conn: psycopg.Connection, name: str, login: bool, password: str | None = None) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone()
    options = sql.SQL("login" if login else "nologin")
    if not exists:
        try:
            conn.execute(sql.SQL("create role {} {}").format(sql.Identifier(name), options))
        except psycopg.errors.DuplicateObject:
            pass  # another database on the same server created it concurrently (roles are cluster-wide)
    if login and password:
        set_password(conn, name, password)


def bi_url(settings: Settings) -> str:
    """The DSN a BI tool uses: the BI login (created/refreshed here as a member of `bi_reader`) on the
    pipeline's warehouse. A secret: it carries the login's password."""
    dsn = ensure_running(settings)
    user, password = bi_credentials(settings.paths.pg)
    grant_bi_access(dsn, login_user=user, login_password=password)
    return with_credentials(dsn, user, password)
