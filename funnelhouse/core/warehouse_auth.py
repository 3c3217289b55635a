"""Who may connect to the embedded warehouse, and with what: the one place passwords and pg_hba live.

The embedded PostgreSQL asks every connection, TCP (loopback only) or unix socket, for a
`scram-sha-256` password. The passwords are generated once and kept in the state folder, mode 0600:
`<state>/pg/password` for the pipeline's role (`postgres`), `<state>/pg/bi_password` for the BI login.
Every consumer (dbt profile, GX, Airflow, the run driver, the tests) gets the DSN with the password
from `EmbeddedWarehouse.dsn` / `ensure_running`, which build it with `with_credentials` below; a
server given by `WAREHOUSE_DSN` is used as given.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlparse

import psycopg
from psycopg import sql

from funnelhouse.core.runtime import bi_login

PIPELINE_USER = "postgres"
PASSWORD_FILE = "password"
BI_PASSWORD_FILE = "bi_password"
DEFAULT_BI_USER = "bi_user"
# First line of the pg_hba.conf this module writes: a cluster without it is an earlier version's
# trust-auth cluster, migrated on the next start (see EmbeddedWarehouse.start).
HBA_MARKER = "# funnelhouse: scram-sha-256 for every connection, loopback only"
HBA = f"""{HBA_MARKER}
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  scram-sha-256
host    all       all   127.0.0.1/32   scram-sha-256
host    all       all   ::1/128        scram-sha-256
"""


def stored_password(path: Path) -> str:
    """The password kept in `path`, generated (and written with mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    # O_EXCL + mode: the file is never readable by others, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password


def hba_is_current(pgdata: Path) -> bool:
    hba = pgdata / "pg_hba.conf"
    return hba.exists() and hba.read_text().startswith(HBA_MARKER)


def write_hba(pgdata: Path) -> None:
    """Overwrite pg_hba.conf in place (keeps the file's owner, the server's system user when root)."""
    with open(pgdata / "pg_hba.conf", "w") as handle:
        handle.write(HBA)


def set_password(conn: psycopg.Connection, role: str, password: str) -> None:
    """ALTER ROLE ... PASSWORD with the SCRAM verifier computed here, so the plain password never
    reaches the server (nor its statement log)."""
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    conn.execute(sql.SQL("alter role {} with login password {}").format(sql.Identifier(role), sql.Literal(verifier)))


def with_credentials(dsn: str, user: str, password: str) -> str:
    """The same server and database as `dsn`, as `user` with `password` (URL-quoted)."""
    parsed = urlparse(dsn)
    host = parsed.netloc.rsplit("@", 1)[-1]
    return parsed._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}").geturl()


def bi_credentials(pg_root: Path) -> tuple[str, str]:
    """The BI login: FUNNELHOUSE_BI_USER (default `bi_user`) and FUNNELHOUSE_BI_PASSWORD, else the
    password generated once into `<state>/pg/bi_password` (0600)."""
    user, password = bi_login()
    return user or DEFAULT_BI_USER, password or stored_password(pg_root / BI_PASSWORD_FILE)
