"""A cap on concurrently open server-side cursors, shared by every process that uses one API user.

Salesforce lets one user hold 10 open query cursors and silently releases the oldest beyond that, so
parallel Airflow tasks (one process per object) would break each other's paging. Each paged query
holds one of N slots while its cursor is open: slot i is the PostgreSQL session advisory lock
(hashtext(scope), i) on a connection of its own, so every process against the same warehouse shares
the cap, and a killed process releases its slot with its session. Cost: warehouse round trips only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from extractors.engine.errors import ExtractError


class CursorSlots:
    def __init__(self, scope: str, wait_seconds: float = 1800.0, poll_seconds: float = 0.05):
        self.scope = scope
        self.slots = 0
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self._conn: psycopg.Connection | None = None
        self.waited = 0.0  # seconds spent waiting for a free slot (reported in tests and benchmarks)

    def bind(self, dsn: str | None, slots: int) -> None:
        """Use the warehouse at `dsn` for the shared cap (without one, nothing is capped here)."""
        self.slots = max(1, slots)
        if self._conn is None and dsn:
            self._conn = psycopg.connect(dsn, autocommit=True)

    @contextmanager
    def hold(self, what: str) -> Iterator[None]:
        if self._conn is None:
            yield
            return
        slot = self._acquire(what)
        try:
            yield
        finally:
            try:
                self._conn.execute("select pg_advisory_unlock(hashtext(%s), %s)", (self.scope, slot))
            except psycopg.Error:
                self.close()  # the session is gone, and with it the lock

    def _acquire(self, what: str) -> int:
        assert self._conn is not None
        started = time.monotonic()
        while True:
            for slot in range(self.slots):
                got = self._conn.execute("select pg_try_advisory_lock(hashtext(%s), %s)", (self.scope, slot))
                if got.fetchone()[0]:
                    self.waited += time.monotonic() - started
                    return slot
            if time.monotonic() - started > self.wait_seconds:
                raise ExtractError(f"{what}: no query cursor free after {self.wait_seconds:.0f}s "
                                   f"({self.slots} allowed, EXTRACT_SF_MAX_CURSORS)")
            time.sleep(self.poll_seconds)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
