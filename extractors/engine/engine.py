"""Runs one object extractor: pages in, COPY-loaded batches out, state advanced in the same transaction.

Crash safety comes from one rule: the sync state written with a batch describes exactly the pages
in that batch. Whatever happens between two commits is re-read on the next run, and re-reading a
stored version is a no-op (the raw key is (id, source_updated_at)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from extractors.engine.base import ObjectExtractor, Page, RunContext
from extractors.engine.errors import AlreadyRunning, ExtractError, QuotaExhausted, scrub
from extractors.engine.loader import RawLoader, encode_rows, prepare_session
from extractors.engine.records import Batch, RawRow, to_batch
from extractors.engine.state import RunCounters, RunLog, SyncState, read_state, save_run, write_rejections, write_state
from funnelhouse.core.raw import ensure_meta, ensure_raw_table, raw_table


@dataclass
class ObjectSummary(RunCounters):
    source: str
    object: str
    table: str
    watermark: datetime | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def _lock_key(source: str, object_name: str) -> str:
    return f"funnelhouse.extract:{source}:{object_name}"


class _Run:
    """State of one object's run: the pending pages and the counters."""

    def __init__(self, conn: psycopg.Connection, extractor: ObjectExtractor, ctx: RunContext, log: RunLog,
                 start_watermark: datetime | None):
        self.conn = conn
        self.extractor = extractor
        self.ctx = ctx
        self.log = log
        self.loader = RawLoader(conn, extractor.source, extractor.table)
        self.pending: list[Page] = []
        self.pending_rows = 0
        self.start_watermark = start_watermark
        self.table_empty = conn.execute(
            sql.SQL("select not exists (select 1 from {})").format(raw_table(extractor.source, extractor.table))
        ).fetchone()[0]
        self.commits = 0
        self.started = time.monotonic()
        # Clients (and their counters) are shared by the objects of a run: count this object's share.
        self.calls_at_start = ctx.counters.api_calls
        self.retries_at_start = ctx.counters.retries

    def add(self, page: Page) -> None:
        self.log.pages += 1
        self.pending.append(page)
        self.pending_rows += len(page.payloads) + len(page.rows)
        if self.pending_rows >= self.ctx.options.flush_rows:
            self.flush()

    def _expect_new(self, rows: list[RawRow]) -> bool:
        if self.table_empty:
            return True
        if self.ctx.full_refresh or self.start_watermark is None or not rows:
            return False
        return min(r.source_updated_at for r in rows) > self.start_watermark

    def flush(self) -> None:
        if not self.pending:
            return
        spec = self.extractor.spec
        batch = Batch()
        for page in self.pending:
            batch.extend(to_batch(spec, page.payloads))
            batch.rows.extend(page.rows)
        state = self.pending[-1].state
        extracted_at = datetime.now(UTC)
        lines, unencodable = encode_rows(batch.rows, spec.source, spec.object_name, self.log.batch_id, extracted_at)
        rejected = batch.rejected + unencodable
        hook = self.ctx.after_commit
        with self.conn.transaction():
            if hook is not None:
                hook("before_load", self.commits + 1)
            result = self.loader.load(lines, self._expect_new(batch.rows))
            write_rejections(self.conn, spec.source, spec.object_name, rejected, self.log.batch_id)
            write_state(self.conn, state)
            if hook is not None:
                hook("before_commit", self.commits + 1)
        self.table_empty = self.table_empty and result.new_versions == 0
        self.log.rows += len(batch.rows) + len(batch.rejected)
        self.log.versions_new += result.new_versions
        self.log.rejected += len(rejected)
        self.log.bytes += result.bytes
        self.log.watermark_after = state.watermark
        self.pending, self.pending_rows = [], 0
        self.commits += 1
        self._progress()
        if hook is not None:
            hook("after_commit", self.commits)

    def _progress(self) -> None:
        if self.ctx.progress is None:
            return
        seconds = time.monotonic() - self.started
        rate = self.log.rows / seconds if seconds > 0 else 0.0
        self.ctx.progress(
            f"{self.extractor.source}.{self.extractor.object_name}: {self.log.pages} pages, "
            f"{self.log.rows:,} rows ({self.log.versions_new:,} new), {rate:,.0f} rows/s, "
            f"{self.ctx.counters.api_calls - self.calls_at_start} calls"
        )


def _should_reconcile(state: SyncState, ctx: RunContext, now: datetime) -> bool:
    if ctx.full_refresh or state.reconciled_at is None or ctx.options.reconcile_hours <= 0:
        return True
    return now - state.reconciled_at >= timedelta(hours=ctx.options.reconcile_hours)


def run_object(dsn: str, extractor: ObjectExtractor, ctx: RunContext, run_id: str) -> ObjectSummary:
    source, object_name = extractor.source, extractor.object_name
    summary = ObjectSummary(source, object_name, extractor.table)
    ctx.dsn = dsn
    with psycopg.connect(dsn, autocommit=True) as conn:
        prepare_session(conn)
        ensure_meta(conn)
        preflight = getattr(extractor, "preflight", None)
        if preflight is not None:
            preflight()  # e.g. an extra object that does not exist: fail before any table is created
        ensure_raw_table(conn, source, extractor.table)
        locked = conn.execute("select pg_try_advisory_lock(hashtext(%s))", (_lock_key(source, object_name),))
        if not locked.fetchone()[0]:
            raise AlreadyRunning(f"{source} {object_name}: another extraction of this object is running")
        stored = read_state(conn, source, object_name)
        state = SyncState(source, object_name, reconciled_at=stored.reconciled_at) if ctx.full_refresh else stored
        mode = "full_refresh" if ctx.full_refresh else ("incremental" if stored.watermark else "initial")
        log = RunLog(batch_id=f"{run_id}:{source}:{extractor.table}", run_id=run_id, source=source,
                     object=object_name, mode=mode, started_at=datetime.now(UTC),
                     watermark_before=stored.watermark, watermark_after=stored.watermark)
        save_run(conn, log, finished=False)
        run = _Run(conn, extractor, ctx, log, state.watermark)
        try:
            last_state = state
            for page in extractor.pages(state, ctx):
                last_state = page.state
                run.add(page)
            run.flush()
            now = datetime.now(UTC)
            if _should_reconcile(last_state, ctx, now):
                _reconcile(conn, run, last_state, now)
            log.outcome = "success"
        except QuotaExhausted as exc:
            run.flush()  # pages fetched before the quota ran out are complete; keep them
            log.outcome, log.error = "stopped_quota", str(exc)
        except Exception as exc:
            if isinstance(exc, ExtractError):
                try:
                    run.flush()  # complete pages fetched before an API failure are kept
                except psycopg.Error:
                    pass
            log.outcome = "failed"
            log.error = str(exc) if isinstance(exc, ExtractError) else scrub(f"{type(exc).__name__}: {exc}")[:1000]
            _finish(conn, run, log, summary)
            raise
        _finish(conn, run, log, summary)
    return summary


def _reconcile(conn: psycopg.Connection, run: _Run, state: SyncState, now: datetime) -> None:
    tombstones = run.extractor.tombstones(conn, state, run.ctx, now)
    reconciled = SyncState(state.source, state.object, state.watermark, state.last_id, state.cursor, now)
    lines, _ = encode_rows(tombstones, state.source, state.object, run.log.batch_id, now)
    with conn.transaction():
        result = run.loader.load(lines, expect_new=False)
        write_state(conn, reconciled)
    run.log.tombstones += result.new_versions
    run.log.versions_new += result.new_versions


def _finish(conn: psycopg.Connection, run: _Run, log: RunLog, summary: ObjectSummary) -> None:
    counters = run.ctx.counters
    log.api_calls = counters.api_calls - run.calls_at_start
    log.retries = counters.retries - run.retries_at_start
    log.seconds = round(time.monotonic() - run.started, 3)
    if run.ctx.path:
        log.mode = f"{log.mode} ({'+'.join(sorted(run.ctx.path))})"
    if run.ctx.warnings:
        log.warning = "; ".join(dict.fromkeys(run.ctx.warnings))
    try:
        save_run(conn, log, finished=True)
    except psycopg.Error:
        pass  # the run log must never hide the real error
    conn.execute("select pg_advisory_unlock(hashtext(%s))", (_lock_key(log.source, log.object),))
    for counter in fields(RunCounters):
        setattr(summary, counter.name, getattr(log, counter.name))
    summary.watermark = log.watermark_after
