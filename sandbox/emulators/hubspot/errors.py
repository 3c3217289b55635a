"""HubSpot's error body: {status, message, correlationId, category}, as the CRM v3 APIs send it."""

from __future__ import annotations

from typing import Any

from sandbox.emulators.http import Response, json_response


def hs_error(status: int, category: str, message: str, correlation_id: str,
             extra: dict[str, Any] | None = None) -> Response:
    body = {"status": "error", "message": message, "correlationId": correlation_id, "category": category}
    body.update(extra or {})
    return json_response(status, body)
