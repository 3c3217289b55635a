"""HubSpot records that vanish without being archived: a GDPR delete ("permanently delete") or the
purge of an archived record after 90 days. Nothing in the API announces them; only comparing the ids
it still lists (live, plus the archived ones the archived pass reads every run) with the ids stored
finds them, as Salesforce's id reconciliation does (`extractors/engine/tombstones.py`). A stored id
whose latest version is live vanished; so did one whose latest version is archived (stored by the
archived pass) and that the archived list no longer has: purged from the recycle bin. Both get one
tombstone; one already there (merge, earlier purge) is never repeated.

A run that lists the whole object anyway (first run, full refresh, large backlog) compares for free.
Otherwise listing every id costs ceil(live records / 100) list calls, so it runs at most once per
`HUBSPOT_RECONCILE_HOURS` (default 24) per object; the time of the last one is kept in the object's
sync-state cursor (`ids_checked_at`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg import sql

from extractors.engine.base import RunContext
from extractors.engine.records import RawRow, TimestampError, parse_timestamp
from extractors.engine.state import SyncState
from extractors.engine.tombstones import tombstone_rows
from extractors.hubspot.api import HubSpotApi
from extractors.hubspot.paging import check_cursor, next_after
from funnelhouse.core.raw import raw_table

CHECKED_AT = "ids_checked_at"


def due(state: SyncState, ctx: RunContext, now: datetime) -> bool:
    if ctx.full_refresh or ctx.options.hubspot_reconcile_hours <= 0:
        return True
    try:
        last = parse_timestamp(state.cursor.get(CHECKED_AT)) if state.cursor.get(CHECKED_AT) else None
    except TimestampError:
        last = None
    return last is None or now - last >= timedelta(hours=ctx.options.hubspot_reconcile_hours)


def listed_ids(api: HubSpotApi, object_type: str) -> set[str]:
    """Every id the list API still serves (live records only; 100 per call, one property)."""
    ids: set[str] = set()
    after = None
    while True:
        data = api.list_page(object_type, after, 100, ["hs_object_id"])
        ids.update(str(r["id"]) for r in data.get("results", []) if isinstance(r, dict) and r.get("id"))
        after = check_cursor(f"{object_type} id list", after, next_after(data))
        if not after:
            return ids


def vanished_rows(conn: psycopg.Connection, api: HubSpotApi | None, object_type: str, table: str,
                  known: dict[str, tuple[datetime, bool]], served: set[str], skip: set[str], now: datetime
                  ) -> list[RawRow]:
    """Tombstones (`_hard_deleted`, `_vanished`) for stored ids, live or archived, the API no longer
    serves at all. `served`: the ids known to be served (the archived ones, or every id when a full
    list just ran, then `api` is None and nothing is called)."""
    candidates = [i for i, (_, deleted) in known.items() if not deleted and i not in skip]
    if any(deleted for _, deleted in known.values()):
        candidates += [i for i in archived_versions(conn, table) if i not in skip]
    if not candidates:
        return []
    present = served | (listed_ids(api, object_type) if api is not None else set())
    missing = [i for i in candidates if i not in present]
    return tombstone_rows(conn, "hubspot", table, missing, known, now, {"_vanished": True})


def archived_versions(conn: psycopg.Connection, table: str) -> list[str]:
    """Stored ids whose latest version is an archived one (deleted, but no tombstone: `_hard_deleted`
    marks merge and vanish tombstones)."""
    rows = conn.execute(sql.SQL(
        """select id from (select distinct on (id) id, is_deleted, record from {t}
                           order by id, source_updated_at desc) latest
           where is_deleted and not (record ? '_hard_deleted') order by id"""
    ).format(t=raw_table("hubspot", table))).fetchall()
    return [r[0] for r in rows]
