"""Rate limiter arithmetic, error translation and secret scrubbing (no network needed)."""

from __future__ import annotations

from extractors.engine.errors import ApiError, QuotaExhausted, RetryableError, register_secrets, scrub
from extractors.engine.ratelimit import RateLimiter
from extractors.engine.retry import Counters, call, translate


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_limiter_never_exceeds_the_window_and_stays_close_to_it() -> None:
    clock = FakeClock()
    limiter = RateLimiter(max_requests=100, interval=10.0, clock=clock, sleep=clock.sleep)
    limiter.observe({"X-HubSpot-RateLimit-Max": "20", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
    sent = []
    for _ in range(200):
        limiter.acquire()
        sent.append(clock.now)
        clock.now += 0.01  # request latency
    for i, t in enumerate(sent):
        in_window = [s for s in sent[i:] if s - t < 10.0]
        assert len(in_window) <= 19
    rate = len(sent) / (sent[-1] - sent[0] + 10.0)
    assert rate > 0.9 * 19 / 10.0


def test_limiter_waits_when_the_server_says_none_remain() -> None:
    clock = FakeClock()
    limiter = RateLimiter(max_requests=100, interval=10.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.observe({"x-hubspot-ratelimit-remaining": "0"})
    limiter.acquire()
    assert clock.now >= 10.0


class FakeHttpError(Exception):
    def __init__(self, status: int, body: object, headers: dict | None = None):
        super().__init__(f"HTTP {status} Authorization: Bearer pat-na1-SECRET-123 url=https://x/?hapikey=abc123")
        self.status = status
        self.body = body
        self.headers = headers or {}


def test_client_errors_are_not_retried_and_name_the_call() -> None:
    counters = Counters()
    attempts = []

    def fails() -> None:
        attempts.append(1)
        raise FakeHttpError(400, '{"category": "VALIDATION_ERROR", "message": "Property x does not exist"}')

    try:
        call(fails, "hubspot contacts search", counters)
    except ApiError as exc:
        assert str(exc) == "hubspot contacts search: HTTP 400: VALIDATION_ERROR: Property x does not exist"
    else:
        raise AssertionError("expected ApiError")
    assert len(attempts) == 1 and counters.retries == 0


def test_transient_errors_are_retried_honouring_retry_after() -> None:
    counters = Counters()
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise FakeHttpError(503, "{}", {"Retry-After": "0.01"})
        return "ok"

    assert call(flaky, "x", counters) == "ok"
    assert counters.retries == 2 and counters.api_calls == 3


def test_giving_up_and_quota_errors_are_named() -> None:
    err = translate(FakeHttpError(503, "{}"), "salesforce Lead query page 3", 5)
    assert isinstance(err, RetryableError) and "after 5 attempts" in str(err)

    class SfError(Exception):
        status = 403
        content = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]

    assert isinstance(translate(SfError(), "salesforce Lead query"), QuotaExhausted)


def test_secrets_never_survive_in_messages() -> None:
    register_secrets(["tok-very-secret-42"])
    text = scrub("failed: session_id=tok-very-secret-42 Authorization: Bearer abc.def hapikey=zzz9 password: hunter2")
    assert "tok-very-secret-42" not in text and "abc.def" not in text and "zzz9" not in text
    assert "hunter2" not in text
    err = translate(FakeHttpError(418, "{}"), "hubspot owners list")
    assert "SECRET" not in str(err) and "abc123" not in str(err)
