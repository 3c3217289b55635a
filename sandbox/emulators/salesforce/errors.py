"""Salesforce's error bodies: a list of {message, errorCode}, as the REST and Bulk 2.0 APIs send them."""

from __future__ import annotations

from sandbox.emulators.http import Response, json_response

# What an injected server fault looks like, per status (the codes and texts Salesforce sends).
SERVER_ERRORS = {
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact "
                               "support: 1234567890-12345 (-1234567890)"),
    502: ("SERVER_UNAVAILABLE", "Bad gateway"),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}


def sf_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, [{"message": message, "errorCode": code}], headers)
