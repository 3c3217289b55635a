"""The warehouse: a real PostgreSQL, either embedded (started from the `pgserver` wheel's binaries
inside the project's state folder) or any server given by `WAREHOUSE_DSN`.

The embedded server listens on 127.0.0.1 only (plus a unix socket inside its data folder), so dbt,
Great Expectations, `psql` and BI tools all reach it with an ordinary TCP DSN; every connection must
give a password (`funnelhouse.core.warehouse_auth`), and the DSN built here carries it.
PostgreSQL refuses to run as root, so as root the data folder is owned by, and the server runs as,
the unprivileged `pgserver` user (as the pgserver package does).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import psycopg

from funnelhouse.core import warehouse_auth as auth
from funnelhouse.core.env import ConfigError
from funnelhouse.core.settings import Settings, mask_dsn

DATABASE = "funnelhouse"
SYSTEM_USER = "pgserver"


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmbeddedWarehouse:
    """A PostgreSQL cluster in `root/pgdata`, its port remembered in `root/port`."""

    root: Path
    port: int = 0

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def _port_file(self) -> Path:
        return self.root / "port"

    def _run_as(self) -> dict:
        if os.geteuid() != 0:
            return {}
        from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        import pwd

        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        return {"user": SYSTEM_USER}

    def _resolve_port(self) -> int:
        if self.port:
            return self.port
        if self._port_file.exists():
            return int(self._port_file.read_text().strip())
        return _free_port()

    @property
    def password_file(self) -> Path:
        return self.root / auth.PASSWORD_FILE

    @property
    def password(self) -> str:
        return auth.stored_password(self.password_file)

    def _dsn(self, database: str) -> str:
        return auth.with_credentials(f"postgresql://127.0.0.1:{self._resolve_port()}/{database}",
                                     auth.PIPELINE_USER, self.password)

    @property
    def dsn(self) -> str:
        """The pipeline's DSN, password included: a secret (only `funnelhouse warehouse url` prints it)."""
        return self._dsn(DATABASE)

    @property
    def socket_dir(self) -> Path | None:
        """Where the unix socket lives (the data folder), or None when that path is too long for one."""
        fits = len(str(self.pgdata / ".s.PGSQL.65535")) < 100 and " " not in str(self.pgdata)
        return self.pgdata if fits else None

    def _initdb(self, run_as: dict) -> None:
        """A new cluster that asks for the password from its very first start."""
        pwfile = self.root / ".initdb-password"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        try:
            if run_as:
                import pwd

                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            subprocess.run(
                [_bin("initdb"), "-D", str(self.pgdata), "--auth=scram-sha-256", f"--pwfile={pwfile}",
                 "--encoding=utf8", "-U", auth.PIPELINE_USER, "--no-instructions"],
                check=True, capture_output=True, text=True, **run_as,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        auth.write_hba(self.pgdata)

    def is_running(self) -> bool:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return False
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return False
        except PermissionError:
            return True
        return True

    def start(self) -> str:
        """Start the server (idempotent) and make sure the project database exists; return the DSN."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        run_as = self._run_as()
        self.password  # noqa: B018 - generate the password file (0600) before any server exists
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(run_as)
        port = self._resolve_port()
        if not self.is_running():
            socket_dir = self.socket_dir
            options = (f"-h 127.0.0.1 -p {port} -c unix_socket_directories='{socket_dir or ''}'"
                       " -c max_connections=200")
            result = subprocess.run(
                [_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60", "-o", options,
                 "-l", str(self.pgdata / "server.log"), "start"],
                capture_output=True, text=True, **run_as,
            )
            if result.returncode != 0:
                log_tail = ""
                log = self.pgdata / "server.log"
                if log.exists():
                    log_tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                raise RuntimeError(f"embedded PostgreSQL failed to start on port {port}:\n"
                                   f"{result.stderr.strip()}\n{log_tail}")
        self._port_file.write_text(str(port))
        self.port = port
        maintenance = self._dsn("postgres")
        _wait_until_accepting(maintenance, self.password_file)
        with psycopg.connect(maintenance, autocommit=True) as conn:
            if not auth.hba_is_current(self.pgdata):
                # An earlier version's trust-auth cluster (any password is accepted): give the role its
                # password, then lock the door. The data is not touched.
                auth.set_password(conn, auth.PIPELINE_USER, self.password)
                auth.write_hba(self.pgdata)
                conn.execute("select pg_reload_conf()")
            exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'create database "{DATABASE}"')
        return self.dsn

    def stop(self) -> bool:
        """Stop the server cleanly; return False when it was not running."""
        if not self.is_running():
            return False
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"],
            check=True, capture_output=True, text=True, **self._run_as(),
        )
        return True


def _wait_until_accepting(dsn: str, password_file: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            if "password authentication failed" in str(exc):
                raise RuntimeError(f"the embedded warehouse refused the password in {password_file} "
                                   "(was the file replaced?)") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def embedded(settings: Settings) -> EmbeddedWarehouse:
    return EmbeddedWarehouse(settings.paths.pg, port=settings.warehouse_port)


def check_reachable(dsn: str, timeout: int = 5) -> None:
    """Fail fast, with one line naming the setting, when the configured server cannot be reached."""
    try:
        with psycopg.connect(dsn, connect_timeout=timeout) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"WAREHOUSE_DSN: cannot connect to {mask_dsn(dsn)}: {first_line}") from None


def ensure_running(settings: Settings) -> str:
    """The DSN of a reachable warehouse: the configured server, or the embedded one (started if needed)."""
    if settings.warehouse_dsn:
        dsn = str(settings.warehouse_dsn)
        check_reachable(dsn)
        return dsn
    return embedded(settings).start()


def dsn_parts(dsn: str) -> dict[str, str]:
    """host/port/user/password/dbname of a DSN (libpq's `?host=` socket form included)."""
    parsed = urlparse(dsn)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    return {
        "host": query.get("host") or parsed.hostname or "127.0.0.1",
        "port": str(query.get("port") or parsed.port or 5432),
        "user": unquote(parsed.username or query.get("user") or "postgres"),
        "password": unquote(parsed.password or query.get("password") or ""),
        "dbname": (parsed.path or "/").lstrip("/") or query.get("dbname") or "postgres",
    }
