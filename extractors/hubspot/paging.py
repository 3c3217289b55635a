"""What the HubSpot list endpoints share: cursor paging, the newest of several versions, and "no
hard deletes to detect" for the objects that are re-listed whole every run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from extractors.engine.base import RunContext
from extractors.engine.errors import ExtractError
from extractors.engine.records import RawRow
from extractors.engine.state import SyncState


def next_after(data: dict[str, Any]) -> str | None:
    """The `paging.next.after` cursor of a list response (None on the last page)."""
    return ((data.get("paging") or {}).get("next") or {}).get("after")


class NoProgress(ExtractError):
    """A paged loop got a page that does not move past where it started."""


def check_cursor(what: str, previous: str | None, after: str | None) -> str | None:
    """The next `after` cursor, refusing one that does not move (a list that would never end)."""
    if after is not None and after == previous:
        raise NoProgress(f"hubspot {what}: list paging made no progress: the API answered cursor after={after!r} "
                         "with the same cursor again; stopped instead of looping")
    return after


def latest(*values: datetime | None) -> datetime | None:
    return max((v for v in values if v is not None), default=None)


class NoTombstones:
    """For objects re-listed whole every run: a record missing from a listing is not a delete signal."""

    def tombstones(self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime) -> list[RawRow]:
        return []
