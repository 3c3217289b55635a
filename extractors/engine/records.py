"""Turning API payloads into raw-layer rows, or into rejections that say exactly what is wrong.

A rejection names the source, the object, the record id (when there is one) and the field, so a
data engineer can find the record in the CRM without reading a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RawRow:
    """One version of one record, as it will be stored in the raw layer."""

    id: str
    source_updated_at: datetime
    record: dict[str, Any]
    is_deleted: bool


@dataclass(frozen=True, slots=True)
class Rejection:
    """A payload that cannot be stored as a raw row, kept with the reason."""

    record_id: str | None
    reason: str
    payload: Any


@dataclass(slots=True)
class Batch:
    """What one page (or a few pages) of API results became."""

    rows: list[RawRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.rows.extend(other.rows)
        self.rejected.extend(other.rejected)


class TimestampError(ValueError):
    pass


def parse_timestamp(value: Any) -> datetime:
    """ISO-8601 with an offset (Salesforce `+0000`, HubSpot `Z`) or HubSpot epoch milliseconds.

    A timestamp without an offset is refused rather than guessed: treating it as UTC could move a
    watermark by hours and silently skip records.
    """
    if isinstance(value, bool) or value is None:
        raise TimestampError(f"expected a timestamp, got {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str):
        raise TimestampError(f"expected a timestamp string, got {type(value).__name__}")
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimestampError(f"unparseable timestamp {value!r}") from None
    if parsed.tzinfo is None:
        raise TimestampError(f"timestamp {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def format_ts(ts: datetime) -> str:
    """The canonical text form used in SOQL literals and state (UTC, millisecond precision)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class RowSpec:
    """How to read id, version timestamp and deletion flag out of one object's payloads."""

    source: str
    object_name: str
    id_field: str
    timestamp_fields: tuple[str, ...]
    deleted: Callable[[Mapping[str, Any]], bool] = lambda record: False
    # Some payloads nest fields (HubSpot `properties`); the getter resolves a field name to a value.
    getter: Callable[[Mapping[str, Any], str], Any] = lambda record, name: record.get(name)
    # A version timestamp that must win over the plain timestamp when present (HubSpot archivedAt).
    override: Callable[[Mapping[str, Any]], datetime | None] | None = None


def to_batch(spec: RowSpec, payloads: Iterable[Any]) -> Batch:
    batch = Batch()
    for payload in payloads:
        result = to_row(spec, payload)
        if isinstance(result, RawRow):
            batch.rows.append(result)
        else:
            batch.rejected.append(result)
    return batch


def to_row(spec: RowSpec, payload: Any) -> RawRow | Rejection:
    where = f"{spec.source} {spec.object_name}"
    if not isinstance(payload, Mapping):
        return Rejection(None, f"{where}: payload is a {type(payload).__name__}, not a JSON object", payload)
    raw_id = spec.getter(payload, spec.id_field)
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        return Rejection(None, f"{where}: record has no id (field {spec.id_field} is missing or empty)", payload)
    record_id = str(raw_id)
    ts: datetime | None = None
    for name in spec.timestamp_fields:
        value = spec.getter(payload, name)
        if value is None or value == "":
            continue
        try:
            ts = parse_timestamp(value)
        except TimestampError as exc:
            return Rejection(record_id, f"{where} {record_id}: field {name}: {exc}", payload)
        break
    if ts is None:
        names = "/".join(spec.timestamp_fields)
        return Rejection(record_id, f"{where} {record_id}: no version timestamp (fields {names} are empty)", payload)
    if spec.override is not None:
        try:
            later = spec.override(payload)
        except TimestampError as exc:
            return Rejection(record_id, f"{where} {record_id}: {exc}", payload)
        if later is not None and later > ts:
            ts = later
    try:
        deleted = bool(spec.deleted(payload))
    except (TypeError, ValueError) as exc:
        return Rejection(record_id, f"{where} {record_id}: deletion flag: {exc}", payload)
    return RawRow(record_id, ts, dict(payload), deleted)


def dumps(record: Any) -> str:
    """Compact JSON; NUL characters are dropped because PostgreSQL jsonb cannot hold them
    (the Salesforce bulk client strips them the same way)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("\\u0000", "") if "\\u0000" in text else text
