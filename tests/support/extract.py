"""Extraction in tests: the real extractors against the emulators (`extract_world`), small pages so a
small world still spans many pages and commits, and readers of what landed in the raw layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from extractors.engine.base import ExtractOptions
from tests.support.sandbox import settings_for

__all__ = ["TEST_OPTIONS", "dataset_records", "expected_pairs", "extract_before_and_after", "extract_world", "latest",
           "raw_tables", "settings_for", "snapshot", "stored_pairs", "DAYS_LATER"]

# Small pages and batches so a small world still spans many pages and commits.
TEST_OPTIONS = ExtractOptions(flush_rows=150, sf_batch_size=200, hubspot_page_size=50, search_page_size=40,
                              bulk_page_size=100, bulk_poll_seconds=0.05)

# The second extraction after `sandbox advance` by days: the refresh periods bounded in hours (associations
# changed without their records, vanished HubSpot ids, formula values) have passed on the world's clock,
# though not in wall time, so everything they bound is re-read now.
DAYS_LATER = ExtractOptions(association_refresh_hours=1e-6, hubspot_reconcile_hours=0.0, formula_refresh_hours=0.0)


def extract_world(dataset: Path, dsn: str, state_dir: Path, options: ExtractOptions | None = None,
                  objects: dict[str, list[str] | None] | None = None) -> None:
    """Serve `dataset` with the emulators and run every object of both sources into `dsn` (`objects`:
    only these sources, each its named objects or all of them); every object must succeed."""
    from extractors.run import extract
    from sandbox.server import start_sandbox

    kwargs: dict[str, Any] = {"options": options} if options is not None else {}
    runs = [{}] if objects is None else [{"sources": [s], "objects": names} for s, names in objects.items()]
    with start_sandbox(dataset) as servers:
        summaries = [extract(settings_for(servers, state_dir), dsn, progress=False, **kwargs, **run) for run in runs]
    failed = [(o.source, o.object, o.error) for summary in summaries for o in summary.objects
              if o.outcome != "success"]
    assert not failed, f"extraction failed: {failed}"


def extract_before_and_after(dataset: Path, dsn: str, state_dir: Path, past: float,
                             hubspot_skip: tuple[str, ...] = ()) -> None:
    """`dataset` extracted at its clock, advanced to two days after `past` (epoch seconds) and extracted
    again, the second time without the HubSpot objects in `hubspot_skip` (a DAG task that failed or is
    retried later): what a run before and a run after a merge or a purge leave in raw."""
    from funnelhouse.core.raw import objects
    from sandbox.world import advance
    from sandbox.world.clock import parse_instant
    from tests.support.worlds import world_clock

    extract_world(dataset, dsn, state_dir, TEST_OPTIONS)
    advance(dataset, days=(past - parse_instant(world_clock(dataset))) / 86_400 + 2)
    again = {"salesforce": None, "hubspot": [o for o in objects("hubspot") if o not in hubspot_skip]}
    extract_world(dataset, dsn, state_dir, TEST_OPTIONS, objects=again if hubspot_skip else None)


def raw_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('raw_salesforce', 'raw_hubspot') order by 1, 2"
    ).fetchall()


def snapshot(dsn: str, exact: bool = True) -> dict[str, list[tuple]]:
    """Every raw row. `exact` keeps load metadata and row identity (xmin, ctid): equal snapshots then
    mean nothing was rewritten. Otherwise only content is compared, and a tombstone's detection time
    (wall clock, differs between runs) is left out."""
    out: dict[str, list[tuple]] = {}
    with psycopg.connect(dsn) as conn:
        for schema, table in raw_tables(conn):
            cols = ("id, source_updated_at, record::text, is_deleted, _extracted_at, _batch_id, xmin::text, ctid::text"
                    if exact else "id, case when record ? '_hard_deleted' then null else source_updated_at end, "
                                  "record::text, is_deleted")
            rows = conn.execute(f'select {cols} from {schema}."{table}" order by 1, 2').fetchall()
            out[f"{schema}.{table}"] = rows
    return out


def dataset_records(dataset: Path, source: str, name: str) -> list[dict[str, Any]]:
    path = dataset / source / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def latest(dsn: str, table: str) -> dict[str, tuple[Any, bool, dict[str, Any]]]:
    """id -> (source_updated_at, is_deleted, record) of the latest version per id."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"select distinct on (id) id, source_updated_at, is_deleted, record from {table} "
            "order by id, source_updated_at desc"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def expected_pairs(dataset: Path, directions: dict[str, tuple[str, ...]]) -> set[tuple[str, str, str, str]]:
    """The associations the extractor should hold: dataset pairs between live objects, in the
    direction the extractor reads them."""
    live = {(t, r["id"]) for t in ("contacts", "companies", "deals", "line_items", "calls", "emails", "meetings")
            for r in dataset_records(dataset, "hubspot", t) if not r.get("archived")}
    wanted = set()
    for a in dataset_records(dataset, "hubspot", "associations"):
        ends = [(a["fromObjectType"], str(a["fromObjectId"])), (a["toObjectType"], str(a["toObjectId"]))]
        if all(e in live for e in ends):
            for (ft, fid), (tt, tid) in (ends, ends[::-1]):
                if tt in directions.get(ft, ()):
                    wanted.add((ft, fid, tt, tid))
    return wanted


def stored_pairs(dsn: str) -> set[tuple[str, str, str, str]]:
    return {(v[2]["fromObjectType"], v[2]["fromObjectId"], v[2]["toObjectType"], v[2]["toObjectId"])
            for v in latest(dsn, "raw_hubspot.associations").values() if not v[1]}


class Crash(Exception):
    """A simulated crash, raised from the engine's after-commit hook."""


def extract_with_crashes(settings: Any, dsn: str, rnd: Any, crashes: dict[str, int], options: ExtractOptions,
                         attempts: int) -> None:
    """Extract every object of both CRMs, crashing each attempt at a random point (between pages, inside
    the load transaction before the COPY or before its commit) up to `attempts` times, then once cleanly;
    counts the crashes per point into `crashes`."""
    from extractors.run import extract_object, list_objects

    for source in ("salesforce", "hubspot"):
        for name in list_objects(source):
            for _attempt in range(attempts):
                point, kill_at = rnd.choice(["before_load", "before_commit", "after_commit"]), rnd.randint(1, 3)

                def hook(where: str, n: int, point: str = point, kill_at: int = kill_at) -> None:
                    if where == point and n == kill_at:
                        raise Crash(f"killed at {where} {n}")

                try:
                    extract_object(settings, dsn, source, name, options=options, after_commit=hook)
                    break
                except Crash:
                    crashes[point] = crashes.get(point, 0) + 1
            else:
                extract_object(settings, dsn, source, name, options=options)
