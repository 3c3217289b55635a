"""HubSpot search limit shared by processes (figures printed, never asserted).

  python benchmarks/bench_search_limit.py [--people 1500] [--limit 4] [--dsn DSN]

Eight HubSpot objects are extracted at the same time by eight separate processes (as parallel
Airflow tasks would), every one of them paging through its whole backlog with the search API, against
an emulator that refuses (429) more than `--limit` search requests in any rolling second per token.
The processes share one budget through request slots booked in PostgreSQL (`extractors/engine/shared_limit.py`).
Reported: failed objects, 429s, and the share of the limit used over the whole seconds from the first
search request to the last, and over the seconds while at least half the objects were still running
(when demand certainly exceeds the limit).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from extractors.engine.base import ExtractOptions  # noqa: E402
from extractors.run import extract, extract_object  # noqa: E402
from funnelhouse.core.settings import Settings  # noqa: E402
from sandbox.emulators.faults import FaultConfig  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402
from sandbox.world import generate  # noqa: E402

OBJECTS = ["companies", "contacts", "deals", "line_items", "calls", "emails", "meetings", "associations"]
OPTIONS = replace(ExtractOptions(), search_page_size=10, hubspot_search_rate=4.0)


def _one(settings: Settings, dsn: str, name: str, rate: float, out: multiprocessing.Queue) -> None:
    try:
        summary = extract_object(settings, dsn, "hubspot", name, options=replace(OPTIONS, hubspot_search_rate=rate))
        out.put((name, summary.outcome, summary.api_calls, summary.retries, summary.mode, "", time.monotonic()))
    except Exception as exc:  # noqa: BLE001 - a failed object is a figure here
        out.put((name, "failed", 0, 0, "", str(exc)[:200], time.monotonic()))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fh-searchlimit-"))
    warehouse = None
    dsn = args.dsn
    if not dsn:
        from funnelhouse.core.warehouse import EmbeddedWarehouse

        warehouse = EmbeddedWarehouse(tmp / "pg")
        dsn = warehouse.start()
    name = f"searchlimit_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    target = dsn.rsplit("/", 1)[0] + f"/{name}"
    world = generate(5, args.people, tmp / "world")
    try:
        with start_sandbox(world, hubspot_faults=FaultConfig(hubspot_search_rate_limit=args.limit,
                                                             retry_after=1.0)) as servers:
            settings = servers.settings(Settings(state_dir=tmp))
            assert extract(settings, target, sources=["hubspot"], progress=False, options=OPTIONS).ok
            # Every object's backlog from the world's start: each pages through it all with search.
            with psycopg.connect(target) as conn:
                conn.execute("update raw_meta.sync_state set watermark = '2024-01-01T00:00:00Z', cursor = "
                             "case when object = 'associations' then jsonb_build_object('from', jsonb_build_object("
                             "'contacts', '2024-01-01T00:00:00Z', 'deals', '2024-01-01T00:00:00Z', "
                             "'calls', '2024-01-01T00:00:00Z', 'emails', '2024-01-01T00:00:00Z', "
                             "'meetings', '2024-01-01T00:00:00Z'), 'refresh', cursor->'refresh') else cursor end "
                             "where source = 'hubspot'")
            accepted: list[float] = []
            refused = 0
            lock = threading.Lock()
            admit = servers.hubspot.before

            def timed(request):  # noqa: ANN001, ANN202 - measurement only
                nonlocal refused
                response, drop = admit(request)
                if request.path.endswith("/search"):
                    with lock:
                        if response is None:
                            accepted.append(time.monotonic())
                        elif response.status == 429:
                            refused += 1
                return response, drop

            servers.hubspot.before = timed
            ctx = multiprocessing.get_context("spawn")
            results: multiprocessing.Queue = ctx.Queue()
            procs = [ctx.Process(target=_one, args=(settings, target, o, float(args.limit), results)) for o in OBJECTS]
            started = time.monotonic()
            for p in procs:
                p.start()
            rows = [results.get(timeout=1800) for _ in procs]
            for p in procs:
                p.join()
            seconds = time.monotonic() - started
    finally:
        if warehouse is not None:
            warehouse.stop()
    accepted.sort()
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    whole = max(1, int(span))
    used = sum(1 for t in accepted if t < accepted[0] + whole) / (args.limit * whole)
    failed = [r for r in rows if r[1] != "success"]
    # While at least half the objects are still running, demand exceeds the limit: the share used
    # there is the limiter's; after it, the few objects left may not want 4 searches a second.
    ends = sorted(r[6] for r in rows)
    contended_end = ends[len(ends) // 2]
    contended = max(1, int(contended_end - accepted[0]))
    used_contended = sum(1 for t in accepted if t < accepted[0] + contended) / (args.limit * contended)
    print(f"{len(OBJECTS)} objects in parallel processes, search limit {args.limit}/s per token, {seconds:.1f} s")
    for row in sorted(rows):
        print(f"  {row[0]:14} {row[1]:8} calls {row[2]:5}  retries {row[3]:3}  {row[4]} {row[5]}")
    print(f"search requests accepted: {len(accepted)} over {span:.1f} s, refused (429): {refused}")
    print(f"share of the limit used: {used:.1%} over all {whole} whole seconds, {used_contended:.1%} over the "
          f"{contended} s while at least {len(rows) - len(rows) // 2} objects were running (goal >= 90%), "
          f"failed objects: {len(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
