"""Retry policy shared by both sources.

Two layers, both maintained libraries: urllib3 `Retry` inside the HTTP transports (status 429/5xx
with exponential backoff + jitter, `Retry-After` honoured, connect/read errors) and a tenacity
layer around each API call for what the transport cannot see (a connection dropped while the
body was being read, a truncated JSON body). 4xx other than 429 is never retried: it becomes an
`ApiError` naming the call and the API's own message.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from urllib3.util.retry import Retry

from extractors.engine.errors import ApiError, ExtractError, QuotaExhausted, RetryableError, scrub

T = TypeVar("T")
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass
class Counters:
    """API calls and retries of one object's run (shared by the transport and the call layer)."""

    api_calls: int = 0
    retries: int = 0
    cursor_resumes: int = 0  # paged queries resumed after an expired / released cursor


class CountingRetry(Retry):
    """urllib3 Retry that reports each retry it performs to a `Counters`."""

    counters: Counters | None = None

    def new(self, **kw: Any) -> CountingRetry:
        retry = super().new(**kw)
        retry.counters = self.counters
        return retry

    def increment(self, *args: Any, **kwargs: Any) -> Retry:
        if self.counters is not None:
            self.counters.retries += 1
        return super().increment(*args, **kwargs)


def transport_retry(counters: Counters | None = None, total: int = 4, backoff: float = 0.5) -> CountingRetry:
    retry = CountingRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=total,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # POST search / bulk job creation are reads too
        backoff_factor=backoff,
        backoff_jitter=backoff,
        backoff_max=30,
        respect_retry_after_header=True,
        raise_on_status=False,  # the client then raises its own status error, which we classify
    )
    retry.counters = counters
    return retry


def status_of(exc: BaseException) -> int | None:
    for attr in ("status", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def api_message(exc: BaseException) -> str:
    """The API's own error text (Salesforce `[{message, errorCode}]`, HubSpot `{message, category}`)."""
    body: Any = getattr(exc, "content", None)
    if body is None:
        body = getattr(exc, "body", None)
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return str(body)[:300]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return "; ".join(f"{b.get('errorCode', '')}: {b.get('message', '')}".strip(": ") for b in body)[:500]
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("category", "message") if body.get(k)]
        return ": ".join(parts)[:500] or json.dumps(body)[:300]
    reason = getattr(exc, "reason", None)
    return str(reason or type(exc).__name__)


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    requests.exceptions.JSONDecodeError,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    json.JSONDecodeError,
    RetryableError,
)


def is_quota_error(exc: BaseException) -> bool:
    return status_of(exc) == 403 and "REQUEST_LIMIT_EXCEEDED" in api_message(exc)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ExtractError) and not isinstance(exc, RetryableError):
        return False
    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES
    return isinstance(exc, _TRANSIENT_TYPES)


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "headers", None) or getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("Retry-After")
        return min(float(value), 120.0) if value is not None else None
    except (TypeError, ValueError):
        return None


class _Wait:
    """Exponential backoff with jitter, unless the server said how long to wait."""

    def __init__(self, initial: float, maximum: float):
        self.backoff = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after(exc) if exc is not None else None
        return after if after is not None else self.backoff(state)


def call(fn: Callable[[], T], what: str, counters: Counters, attempts: int = 4, initial_wait: float = 0.5) -> T:
    """Run one API call with the call-level retry; translate failures into ExtractErrors.

    `what` names the call ("salesforce Lead query page 3"), so the final error says where it failed.
    """

    def count_retry(state: RetryCallState) -> None:
        counters.retries += 1

    def counted() -> T:
        counters.api_calls += 1
        return fn()

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=_Wait(initial_wait, 30.0),
        retry=retry_if_exception(is_transient),
        before_sleep=count_retry,
        reraise=True,
    )
    try:
        return retrying(counted)
    except ExtractError:
        raise
    except Exception as exc:  # noqa: BLE001 - every client error is translated into a named, scrubbed error
        raise translate(exc, what, attempts) from None


def translate(exc: BaseException, what: str, attempts: int = 1) -> ExtractError:
    status = status_of(exc)
    if is_quota_error(exc):
        return QuotaExhausted(f"{what}: Salesforce daily API request limit reached ({api_message(exc)})")
    if status is not None and status not in RETRY_STATUSES:
        setting = {"hubspot": "HUBSPOT_ACCESS_TOKEN",
                   "salesforce": "SALESFORCE_ACCESS_TOKEN or the SALESFORCE_* login settings"}.get(
                       what.split(" ", 1)[0], "the CRM credentials")
        hint = {401: f" (check the access token / credentials: {setting} is expired or wrong)",
                403: " (the user lacks permission)",
                404: " (unknown object or endpoint)", 414: " (request URI too long)"}.get(status, "")
        return ApiError(f"{what}: HTTP {status}{hint}: {api_message(exc)}", status)
    if status is not None:
        return RetryableError(f"{what}: HTTP {status} after {attempts} attempts: {api_message(exc)}")
    if is_transient(exc):
        return RetryableError(f"{what}: {type(exc).__name__} after {attempts} attempts: {scrub(str(exc))[:300]}")
    return ExtractError(f"{what}: {type(exc).__name__}: {scrub(str(exc))[:300]}")
