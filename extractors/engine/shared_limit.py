"""A rate limit shared by every process that uses one API token: request slots booked in PostgreSQL.

HubSpot's search API allows 4 requests per second per token, for all processes together (parallel
Airflow tasks, a manual `funnelhouse extract`), and its responses carry no rate-limit headers to
learn from. The limiter is GCRA (the generic cell rate algorithm, as in redis-cell or `throttled`):
the bucket's row in `raw_meta.rate_slots` (the table is in `funnelhouse.core.raw`) holds the earliest
time the next request may be sent. Every acquire is one atomic upsert of that row (the row lock
serialises concurrent processes) that books the slot `greatest(next_at, now)` and moves `next_at` one
spacing (1 / rate) on; the process then sleeps until its slot. Slots are spaced evenly, so a rolling
one-second window never sees more than the limit, and nothing polls: a waiting process wakes at its
own slot, so a late wake-up costs that request only, not the slots behind it (the token bucket this
replaces lost the token of every late poll: 86-89.6 % of the limit used). The rate is set a little
under the limit (`headroom`) because requests do not reach the server exactly as sent.

The bucket is named by a hash of the token, never the token itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import psycopg

from funnelhouse.core.raw import ensure_meta

# Books one slot: returns how many seconds from now it starts (<= 0: send at once).
_BOOK = """
insert into raw_meta.rate_slots as s (bucket, next_at)
values (%(bucket)s, clock_timestamp() + make_interval(secs => %(spacing)s))
on conflict (bucket) do update
set next_at = greatest(s.next_at, clock_timestamp()) + make_interval(secs => %(spacing)s)
returning extract(epoch from s.next_at - clock_timestamp())::float8 - %(spacing)s
"""


def bucket_name(kind: str, token: str) -> str:
    return f"{kind}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class SharedRateLimit:
    """`acquire()` blocks until this process may send one more request under the shared limit."""

    def __init__(self, dsn: str, bucket: str, per_second: float, headroom: float = 0.96,
                 sleep: Callable[[float], None] = time.sleep):
        self.dsn = dsn
        self.bucket = bucket
        self.rate = per_second * headroom
        self._sleep = sleep
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self.waited = 0.0
        self.acquired = 0

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, autocommit=True)
            ensure_meta(self._conn)  # the slot table is part of raw_meta (the raw contract)
        return self._conn

    def acquire(self) -> None:
        with self._lock:
            wait = self._connection().execute(_BOOK, {"bucket": self.bucket, "spacing": 1 / self.rate}).fetchone()[0]
            if wait > 0:
                self.waited += wait
                self._sleep(wait)
            self.acquired += 1

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
