"""SIGKILL the write-audit-publish run at 12 points across dbt, validation and the swap: each time the
live marts stay byte-identical (a digest of every mart) to the last publication, `_published_run_id`
is unchanged, a `bi_reader` loop reads them the whole time, and the next run publishes normally.

Each run is a real `funnelhouse publish` process (dbt, GX, the swap) killed with SIGKILL on its whole
process group, the way a worker dies. The kill points are driven by observed state, never by sleeps:
tables appearing in the shadow, GX audit rows, and locks the test holds so the run blocks exactly
where it should (a shadow table while `_published_run_id` is stamped, a live mart held by bi_reader
while the swap waits, `audit.publications` while the swap has renamed but not committed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from funnelhouse import publish
from tests.orchestration.test_publish import as_bi_reader, digest
from tests.orchestration.test_publish_world import Reader
from tests.support.worlds import WorldCache, world_clock

SEED, PEOPLE = 11, 60
CLI = Path(sys.executable).parent / "funnelhouse"


def connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def client_backends(conn: psycopg.Connection) -> set[int]:
    return {r[0] for r in conn.execute(
        "select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend' "
        "and pid <> pg_backend_pid()")}


def shadow_tables(conn: psycopg.Connection) -> set[str]:
    """The marts dbt has finished in the shadow (its __dbt_tmp/__dbt_backup relations not counted)."""
    return {t for t in publish.tables(conn, publish.SHADOW_SCHEMA) if "__dbt_" not in t}


def data_digest(dsn: str) -> dict[str, str]:
    """The marts' content without `_published_run_id`: what a rebuild from the same raw data must give."""
    with connect(dsn) as conn:
        return {name: conn.execute(
            f"select md5(coalesce(string_agg(r, E'\\n' order by r), '')) from "  # noqa: S608
            f"(select (to_jsonb(t) - '{publish.RUN_ID_COLUMN}')::text r from marts.\"{name}\" t) x").fetchone()[0]
            for name in publish.tables(conn, "marts")}


class Run:
    """One `funnelhouse publish` process, its log, and the backends it opened."""

    def __init__(self, dsn: str, env: dict[str, str], run_id: str, as_of: str, log: Path, own: set[int]):
        self.dsn, self.run_id, self.log, self.own = dsn, run_id, log, own
        self.monitor = connect(dsn)
        self.baseline = client_backends(self.monitor)
        self.old_shadow = self.shadow_oid(self.monitor)  # what the killed run before this one left
        self.proc = subprocess.Popen([str(CLI), "publish", "--run-id", run_id, "--as-of", as_of, "--no-docs"],
                                     env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @staticmethod
    def shadow_oid(conn: psycopg.Connection) -> int | None:
        row = conn.execute("select oid from pg_namespace where nspname = %s", (publish.SHADOW_SCHEMA,)).fetchone()
        return row[0] if row else None

    def shadow(self, conn: psycopg.Connection) -> set[str]:
        """The marts this run built so far: none until it has reset the shadow a killed run left."""
        oid = self.shadow_oid(conn)
        return shadow_tables(conn) if oid is not None and oid != self.old_shadow else set()

    def new_backends(self) -> set[int]:
        return client_backends(self.monitor) - self.baseline - self.own

    def until(self, what: str, check: Callable[[psycopg.Connection], Any], timeout: float = 600) -> Any:
        """Poll the warehouse until `check` holds; fail if the run ends (or stalls) first."""
        deadline = time.monotonic() + timeout
        while True:
            found = check(self.monitor)
            if found:
                return found
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.run_id} ended (rc {self.proc.returncode}) before {what}:\n"
                                     + self.log.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.run_id}: no {what} within {timeout}s")
            time.sleep(0.02)  # the polling interval only; every kill waits for an observed state

    def blocked_by(self, holder: psycopg.Connection) -> Callable[[psycopg.Connection], str | None]:
        """A check: the query of a run backend waiting for a lock `holder` holds."""
        pid = holder.info.backend_pid

        def check(conn: psycopg.Connection) -> str | None:
            row = conn.execute("select query from pg_stat_activity where %s = any(pg_blocking_pids(pid)) "
                               "and pid <> all(%s)", (pid, list(self.own))).fetchone()
            return row[0] if row else None
        return check

    def kill(self) -> None:
        """SIGKILL the whole process group (dbt runs inside it), then end the backends it left behind."""
        assert self.proc.poll() is None, f"{self.run_id} finished before it could be killed"
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        assert self.proc.returncode == -signal.SIGKILL
        left = self.new_backends()
        for pid in left:
            self.monitor.execute("select pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 60
        while self.new_backends() & left:
            assert time.monotonic() < deadline, f"backends {left} of the killed run did not end"
            time.sleep(0.05)
        self.monitor.close()


@pytest.fixture(scope="module")
def world(worlds: WorldCache) -> tuple[str, str]:
    dataset = worlds.dataset(SEED, PEOPLE)
    return worlds.copy(worlds.extracted(SEED, PEOPLE), "publish_kill"), world_clock(dataset)


def test_sigkill_anywhere_leaves_the_last_publication_live(world: tuple[str, str], tmp_path: Path) -> None:
    dsn, as_of = world
    first = publish.build_validate_publish(dsn, "run-0", as_of=as_of, state_dir=tmp_path / "state",
                                           data_docs=False)
    assert first.published, (first.reason, first.failed_expectations)
    published, content = digest(dsn), data_digest(dsn)
    marts = set(published)
    with connect(dsn) as conn:
        gx_targets = conn.execute("select count(*) from audit.validation_runs where run_id = 'run-0-marts'"
                                  ).fetchone()[0]
        last_shadow_table = max(t for t in publish.tables(conn, "marts") if conn.execute(
            "select relkind from pg_class where oid = %s::regclass", (f'marts."{t}"',)).fetchone()[0] == "r")
    assert len(marts) > 10 and gx_targets > 4
    env = {**os.environ, "WAREHOUSE_DSN": dsn, "FUNNELHOUSE_STATE_DIR": str(tmp_path / "state"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "GX_ANALYTICS_ENABLED": "False"}
    reader = Reader(dsn)
    reader.start()
    holder = connect(dsn)          # takes the locks that hold the run at a chosen point
    bi_holder = connect(dsn)       # a BI session keeping a live mart open
    bi_holder.execute("set role bi_reader")
    own = {holder.info.backend_pid, bi_holder.info.backend_pid}

    def shadow_at_least(run: Run, n: int) -> int:
        return run.until(f"{n} marts built", lambda c: len(run.shadow(c)) if len(run.shadow(c)) >= n else 0)

    def gx_rows_at_least(run_id: str, n: int) -> Callable[[psycopg.Connection], int]:
        return lambda c: c.execute("select count(*) from audit.validation_runs where run_id like %s "
                                   "having count(*) >= %s", (f"{run_id}-marts%", n)).fetchone()

    def staging_build(c: psycopg.Connection) -> bool:
        return bool(c.execute("select 1 from pg_stat_activity where datname = current_database() "
                              "and pid <> pg_backend_pid() and query ilike '%create%\"staging\".%'").fetchone())

    def connected(run: Run) -> Callable[[psycopg.Connection], bool]:
        return lambda c: bool(run.new_backends())

    def hold_shadow_table(run: Run) -> str:
        run.until("all marts built", lambda c: run.shadow(c) == marts)
        holder.execute("begin")
        holder.execute(f'select 1 from marts__next."{last_shadow_table}" limit 0')  # noqa: S608
        return run.until("the stamp of _published_run_id waiting", run.blocked_by(holder))

    def hold_live_mart(run: Run) -> str:
        bi_holder.execute("begin")
        bi_holder.execute("select count(*) from marts.funnel_conversion")
        query = run.until("the swap trying to lock the live marts", lambda c: c.execute(
            "select query from pg_stat_activity where pid <> all(%s) and query ilike 'lock table%%marts%%'",
            (list(own),)).fetchone())
        # the BI session keeps reading the last publication while the swap waits for it
        assert bi_holder.execute("select distinct _published_run_id from marts.funnel_conversion").fetchall() \
            == [("run-0",)]
        return query[0]

    def hold_publications(run: Run) -> str:
        live_oid = holder.execute("select 'marts.funnel_conversion'::regclass::oid").fetchone()[0]
        holder.execute("begin")
        holder.execute("lock table audit.publications in share mode")
        query = run.until("the swap's audit row waiting (marts renamed, not committed)", run.blocked_by(holder))
        # the swap's insert, not a withheld one: it holds ACCESS EXCLUSIVE on the live marts, and in _swap
        # the insert comes after the lock and both renames
        swapping = run.monitor.execute(
            "select bool_or(l.mode = 'AccessExclusiveLock' and l.granted and l.relation = %s), "
            "bool_or(a.query ilike 'insert into audit.publications%%') from pg_locks l "
            "join pg_stat_activity a on a.pid = l.pid where %s = any(pg_blocking_pids(a.pid))",
            (live_oid, holder.info.backend_pid)).fetchone()
        assert swapping == (True, True), swapping
        return query

    k = len(marts)
    points: list[tuple[str, Callable[[Run], Any]]] = [
        ("start-up: first connection", lambda r: r.until("a connection", connected(r))),
        ("dbt: staging views", lambda r: r.until("a staging build", staging_build)),
        ("dbt: first mart built", lambda r: shadow_at_least(r, 1)),
        ("dbt: a quarter of the marts", lambda r: shadow_at_least(r, k // 4)),
        ("dbt: half of the marts", lambda r: shadow_at_least(r, k // 2)),
        ("dbt: three quarters", lambda r: shadow_at_least(r, 3 * k // 4)),
        ("dbt: all marts built", lambda r: r.until("all marts", lambda c: r.shadow(c) == marts)),
        ("GX: first target validated", lambda r: r.until("a GX row", gx_rows_at_least(r.run_id, 1))),
        ("GX: half the targets", lambda r: r.until("half the GX rows", gx_rows_at_least(r.run_id, gx_targets // 2))),
        ("publish: stamping _published_run_id", hold_shadow_table),
        ("swap: waiting for a BI reader", hold_live_mart),
        ("swap: renamed, audit row not committed", hold_publications),
    ]
    seen: list[str] = []
    try:
        for i, (name, reach) in enumerate(points):
            run = Run(dsn, env, f"kill-{i:02d}", as_of, tmp_path / f"kill-{i:02d}.log", own)
            observed = reach(run)
            run.kill()
            seen.append(f"{name}: {observed}")
            print(f"\nkilled {run.run_id} at {seen[-1][:200]}", flush=True)
            for conn in (holder, bi_holder):
                conn.execute("rollback")
            assert digest(dsn) == published, f"killed at {name}: the live marts changed"
            assert as_bi_reader(dsn, "select distinct _published_run_id from marts.fct_opportunities") \
                == [("run-0",)], name
            assert publish.live_run(dsn)["run_id"] == "run-0", name
            assert reader.problems == [], (name, reader.problems[:5])
        assert "_published_run_id" in seen[9] and "alter table" in seen[9].lower(), seen[9]
        assert "insert into audit.publications" in seen[11], seen[11]
        # the next run publishes normally, from whatever the killed runs left behind
        final = subprocess.run([str(CLI), "publish", "--run-id", "after-kills", "--as-of", as_of, "--no-docs"],
                               env=env, capture_output=True, text=True, timeout=900)
        assert final.returncode == 0, (final.stdout + final.stderr)[-3000:]
    finally:
        reader.stop.set()
        reader.join(timeout=60)
        holder.close()
        bi_holder.close()
    print("\nkill points:\n  " + "\n  ".join(seen))
    assert reader.problems == []
    assert reader.seen == {"run-0", "after-kills"}, reader.seen
    assert publish.live_run(dsn)["run_id"] == "after-kills"
    assert set(digest(dsn)) == marts and data_digest(dsn) == content, \
        "the run after the kills rebuilt the same marts from the same raw data"
    with connect(dsn) as conn:
        decisions = conn.execute("select run_id, decision from audit.publications order by id").fetchall()
    assert decisions == [("run-0", "published"), ("after-kills", "published")], \
        "a killed run records nothing: its audit row commits with the swap or not at all"
