"""Fault injection: rate limits, random error statuses, latency, dropped connections, expiring locators."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FaultConfig:
    """Per-emulator knobs. The default injects nothing."""

    error_rate: float = 0.0                         # share of requests answered with one of error_statuses
    error_statuses: tuple[int, ...] = (429, 500, 503)
    latency_ms: float = 0.0                         # added to every response
    drop_rate: float = 0.0                          # share of responses cut off mid-body (connection closed)
    hubspot_rate_limit: int | None = None           # requests per rolling 10 s window (HubSpot)
    hubspot_search_rate_limit: int | None = None    # search requests per second (HubSpot's is 4/s per token)
    hubspot_daily_limit: int = 1_000_000            # reported in X-HubSpot-RateLimit-Daily; enforced
    retry_after: float | None = 1.0                 # Retry-After on 429s, sent as whole seconds (None: omitted)
    salesforce_daily_limit: int = 1_000_000         # DailyApiRequests Max; 403 REQUEST_LIMIT_EXCEEDED beyond
    locator_ttl_s: float | None = None              # query locators / bulk results expire after this long
    salesforce_max_cursors: int | None = None       # open query cursors per user (None: the world's, else 500)
    hubspot_stuck_search: bool = False              # search ignores filters on the last-modified property
    hubspot_legacy_events: bool = True              # serve /marketing/v3/marketing-events/ (False: retired, 404)
    hubspot_new_events: bool = True                 # serve /marketing/marketing-events/v3 (False: a portal before it)
    seed: int = 0


@dataclass
class FaultState:
    """Mutable counters and the deterministic RNG behind one emulator's faults."""

    config: FaultConfig
    calls: int = 0
    window: deque = field(default_factory=deque)
    search_window: deque = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def draw(self) -> tuple[int | None, bool]:
        """Count one API call; return (injected error status or None, drop this response?)."""
        with self.lock:
            self.calls += 1
            cfg = self.config
            status = None
            if cfg.error_rate and self.rng.random() < cfg.error_rate:
                status = cfg.error_statuses[self.rng.randrange(len(cfg.error_statuses))]
            drop = bool(cfg.drop_rate) and self.rng.random() < cfg.drop_rate
            return status, drop

    def hubspot_window(self) -> tuple[bool, int]:
        """Register a HubSpot call in the rolling 10 s window; return (allowed, remaining)."""
        limit = self.config.hubspot_rate_limit
        now = time.monotonic()
        with self.lock:
            while self.window and now - self.window[0] >= 10:
                self.window.popleft()
            if limit is None:
                self.window.append(now)
                return True, 10**6
            if len(self.window) >= limit:
                return False, 0
            self.window.append(now)
            return True, limit - len(self.window)

    def sleep(self) -> None:
        if self.config.latency_ms:
            time.sleep(self.config.latency_ms / 1000)

    def hubspot_search_allowed(self) -> bool:
        """Register a search call in the rolling 1 s window; False when over hubspot_search_rate_limit."""
        limit = self.config.hubspot_search_rate_limit
        if limit is None:
            return True
        now = time.monotonic()
        with self.lock:
            while self.search_window and now - self.search_window[0] >= 1:
                self.search_window.popleft()
            if len(self.search_window) >= limit:
                return False
            self.search_window.append(now)
            return True
