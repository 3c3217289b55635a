"""A rate limit shared by every process that uses one API token: a token bucket in PostgreSQL.

HubSpot's search API allows 4 requests per second per token, for all processes together (parallel
Airflow tasks, a manual `funnelhouse extract`), and its responses carry no rate-limit headers to
learn from. Every acquire is one atomic `UPDATE` of the bucket's row in `raw_meta.rate_buckets`
(the row lock serialises concurrent processes; the table is in `funnelhouse.core.raw`): it
refills `rate` tokens per second up to `capacity`, takes one if there is one,
else says how long until there is. Capacity 1 spaces
requests evenly, so a rolling one-second window never sees more than the limit; the rate is set a
little under the limit (`headroom`) because requests do not reach the server exactly as sent.

The bucket is named by a hash of the token, never the token itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import psycopg

from funnelhouse.core.raw import ensure_meta

_CREATE = """insert into raw_meta.rate_buckets (bucket, tokens, refilled_at)
values (%(bucket)s, %(capacity)s, clock_timestamp()) on conflict (bucket) do nothing"""

# Returns the tokens available before this acquire (refilled since the last one, capped); one is
# taken when there is one. The CTE's `for update` serialises concurrent processes on the row.
_ACQUIRE = """
with cur as (
    select tokens, refilled_at from raw_meta.rate_buckets where bucket = %(bucket)s for update
), avail as (
    select least(%(capacity)s, tokens + extract(epoch from clock_timestamp() - refilled_at) * %(rate)s) as a
    from cur
)
update raw_meta.rate_buckets b
set tokens = case when avail.a >= 1 then avail.a - 1 else avail.a end, refilled_at = clock_timestamp()
from avail where b.bucket = %(bucket)s
returning avail.a
"""


def bucket_name(kind: str, token: str) -> str:
    return f"{kind}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class SharedRateLimit:
    """`acquire()` blocks until this process may send one more request under the shared limit."""

    def __init__(self, dsn: str, bucket: str, per_second: float, capacity: float = 1.0, headroom: float = 0.96,
                 sleep: Callable[[float], None] = time.sleep):
        self.dsn = dsn
        self.bucket = bucket
        self.rate = per_second * headroom
        self.capacity = capacity
        self._sleep = sleep
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self.waited = 0.0
        self.acquired = 0

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, autocommit=True)
            ensure_meta(self._conn)  # the bucket table is part of raw_meta (the raw contract)
            self._conn.execute(_CREATE, self._params())
        return self._conn

    def _params(self) -> dict[str, object]:
        return {"bucket": self.bucket, "capacity": self.capacity, "rate": self.rate}

    def acquire(self) -> None:
        with self._lock:
            while True:
                available = self._connection().execute(_ACQUIRE, self._params()).fetchone()[0]
                if available >= 1:
                    self.acquired += 1
                    return
                # Wait until one token has refilled (another process may take it first; then again).
                wait = max((1 - available) / self.rate, 0.002)
                self.waited += wait
                self._sleep(wait)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
