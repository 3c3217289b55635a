"""Client-side rate limiter for HubSpot's rolling per-interval request limit.

HubSpot answers with `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds`
(older accounts: `-Secondly`/`-Secondly-Remaining`). The limiter keeps its own send times in a
sliding window sized from those headers and waits just long enough for the oldest request to leave
the window, so a long extraction runs close to the allowed rate without drawing 429s. When the
server reports fewer requests remaining than the local window assumes (another process shares the
token, it says none remain), it also waits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping


class RateLimiter:
    def __init__(self, max_requests: int = 100, interval: float = 10.0, margin: int = 1,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.max_requests = max_requests
        self.interval = interval
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._server_remaining: int | None = None
        self._lock = threading.Lock()
        self.waited = 0.0

    @property
    def allowed(self) -> int:
        return max(1, self.max_requests - self.margin)

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.interval:
                    self._sent.popleft()
                # The server's count only matters when it says the window is full (another client
                # shares the token); otherwise the local window is exact and fresher.
                exhausted = self._server_remaining is not None and self._server_remaining <= 0
                if len(self._sent) < self.allowed and not exhausted:
                    self._sent.append(now)
                    return
                self._server_remaining = None  # wait once, then trust the next response again
                wait = self.interval - (now - self._sent[0]) + 0.005 if self._sent else self.interval
                self.waited += max(wait, 0.0)
                self._sleep(max(wait, 0.001))

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Learn the window from a response's rate-limit headers (any casing)."""
        if not headers:
            return
        lower = {k.lower(): v for k, v in headers.items()}
        max_value = lower.get("x-hubspot-ratelimit-max")
        interval = lower.get("x-hubspot-ratelimit-interval-milliseconds")
        remaining = lower.get("x-hubspot-ratelimit-remaining")
        if max_value is None and "x-hubspot-ratelimit-secondly" in lower:
            max_value, interval = lower["x-hubspot-ratelimit-secondly"], "1000"
            remaining = lower.get("x-hubspot-ratelimit-secondly-remaining")
        with self._lock:
            try:
                if max_value is not None:
                    self.max_requests = max(1, int(max_value))
                if interval is not None:
                    self.interval = max(0.05, int(interval) / 1000)
                if remaining is not None:
                    self._server_remaining = int(remaining)
            except ValueError:
                pass  # a malformed header must not stop the extraction
