"""What the HubSpot list endpoints share: cursor paging, the newest of several versions, and "no
hard deletes to detect" for the objects that are re-listed whole every run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from extractors.engine.base import RunContext
from extractors.engine.records import RawRow
from extractors.engine.state import SyncState


def next_after(data: dict[str, Any]) -> str | None:
    """The `paging.next.after` cursor of a list response (None on the last page)."""
    return ((data.get("paging") or {}).get("next") or {}).get("after")


def latest(*values: datetime | None) -> datetime | None:
    return max((v for v in values if v is not None), default=None)


class NoTombstones:
    """For objects re-listed whole every run: a record missing from a listing is not a delete signal."""

    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        return []
