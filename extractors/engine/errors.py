"""Extraction errors with messages that are safe to log.

Both CRM clients put request URLs, headers or whole response bodies into their exception text;
nothing from them is shown without passing through `scrub`, which removes every configured secret
and anything that looks like a bearer token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SECRETS: set[str] = set()
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=!-]+"),
    re.compile(r"(?i)((?<![a-z_])(?:access_token|session_id|sessionid|client_secret|password|security_token|hapikey)"
               r"[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;}]+"),
)


def register_secrets(values: Iterable[str]) -> None:
    """Remember secret values so that `scrub` masks them wherever they appear."""
    for value in values:
        if value and len(str(value)) >= 4:
            _SECRETS.add(str(value))


def scrub(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "****")
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1****", text)
    return text


class ExtractError(RuntimeError):
    """An extraction failed for a reason a person must act on; the message names source and object."""

    def __init__(self, message: str):
        super().__init__(scrub(message))


class ApiError(ExtractError):
    """The API answered with an error status that retrying will not fix (4xx other than 429)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class QuotaExhausted(ExtractError):
    """The daily API quota share for this run is used up; the object stops cleanly and resumes next run."""


class RetryableError(ExtractError):
    """A transient failure (429, 5xx, timeout, dropped connection) that survived the transport retries."""


class AlreadyRunning(ExtractError):
    """Another extraction holds the lock for the same (source, object)."""
