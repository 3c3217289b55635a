"""What every object extractor provides to the engine, and the knobs the engine passes back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import psycopg

from extractors.engine.records import RawRow, RowSpec
from extractors.engine.retry import Counters
from extractors.engine.state import SyncState
from funnelhouse.core.settings import Settings, load_extract_tunables


@dataclass(frozen=True)
class ExtractOptions:
    """Tunables; every one has an environment variable so a deployment changes them without code."""

    overlap: timedelta = timedelta(minutes=10)
    bulk_threshold: int = 50_000  # Salesforce: backlog above this many rows goes through Bulk API 2.0
    quota_share: float = 0.5  # Salesforce: stop an object once this share of the remaining daily calls is used
    reconcile_hours: float = 0.0  # hard-delete id reconciliation at most this often (0 = every run)
    flush_rows: int = 5000  # rows buffered from several API pages before one load transaction
    hubspot_page_size: int = 100  # list API (max 100)
    search_page_size: int = 200  # search API (max 200)
    sf_batch_size: int = 2000  # REST query batch size (Sforce-Query-Options)
    bulk_page_size: int = 10_000
    max_uri_length: int = 7000  # split property lists so request URIs stay below common limits
    bulk_poll_seconds: float = 0.2
    association_refresh_hours: float = 24.0  # HubSpot: every association re-read within this many hours
    association_batch: int = 1000  # HubSpot v4 batch association reads: ids per call (the API's maximum)
    hubspot_reconcile_hours: float = 24.0  # HubSpot: list every id to find vanished records at most this often
    hubspot_search_rate: float = 4.0  # HubSpot search requests/s per token, shared by all processes (0 = off)
    formula_refresh_hours: float = 24.0  # Salesforce: formula fields re-read at least this often (0 = every run)
    sf_max_cursors: int = 8  # Salesforce: open query cursors per user, shared by every process
    permission_check_hours: float = 1.0  # Salesforce: a permission check is reused this long (0 = never)

    @classmethod
    def from_env(cls, **overrides: Any) -> ExtractOptions:
        tunables = load_extract_tunables()  # EXTRACT_* (the core owns the variables)
        values: dict[str, Any] = {
            "overlap": tunables.overlap, "bulk_threshold": tunables.bulk_threshold,
            "quota_share": tunables.quota_share, "reconcile_hours": tunables.reconcile_hours,
            "flush_rows": tunables.flush_rows, "association_refresh_hours": tunables.association_refresh_hours,
            "hubspot_reconcile_hours": tunables.hubspot_reconcile_hours,
            "hubspot_search_rate": tunables.hubspot_search_rate,
            "formula_refresh_hours": tunables.formula_refresh_hours, "sf_max_cursors": tunables.sf_max_cursors,
            "permission_check_hours": tunables.permission_check_hours,
        }
        values.update(overrides)
        return cls(**values)


@dataclass
class Page:
    """One API page: the payloads and the sync state that holds once they are committed."""

    payloads: list[Any]
    state: SyncState
    # Rows already built by the extractor (tombstones, derived rows); loaded like the payloads.
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class RunContext:
    options: ExtractOptions
    counters: Counters
    full_refresh: bool = False
    # Test hook for crash tests: called with (point, n) at "before_load" and "before_commit" (inside
    # the load transaction) and "after_commit", n = the load transaction's sequence number.
    after_commit: Callable[[str, int], None] | None = None
    progress: Callable[[str], None] | None = None
    # Set by the extractor: which API path it took (rest, bulk2, list, search, ...), for the run log.
    path: set[str] = field(default_factory=set)
    # The warehouse, for extractors that compare with what is stored (set by the engine).
    dsn: str | None = None
    # Set by the extractor: findings the run log and the summary must show (never silent).
    warnings: list[str] = field(default_factory=list)


class ObjectExtractor(Protocol):
    """One CRM object: its raw table, how its records become versions, and how to read it."""

    source: str
    object_name: str
    table: str
    spec: RowSpec

    def pages(self, state: SyncState, ctx: RunContext) -> Iterator[Page]:
        """Yield pages from the stored state on; each page carries the state after it."""
        ...

    def tombstones(
        self, conn: psycopg.Connection, state: SyncState, ctx: RunContext, now: datetime
    ) -> list[RawRow]:
        """Tombstone rows for records hard-deleted at the source (empty when not applicable)."""
        ...


@dataclass(frozen=True)
class SourceDef:
    """One CRM source as the engine sees it (the Meltano/Airbyte "tap" shape): its objects, how to
    open one connection per run, and which extractor reads each object over that connection."""

    name: str
    objects: tuple[str, ...]
    connect: Callable[[Settings, Counters], Any]
    extractor: Callable[[Any, str], ObjectExtractor]
