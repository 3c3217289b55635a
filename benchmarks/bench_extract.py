"""Extraction benchmarks (figures printed, never asserted).

  python benchmarks/bench_extract.py load        # raw load vs plain COPY into an unlogged table
  python benchmarks/bench_extract.py ratelimit   # HubSpot rate-limit utilisation against the sandbox
  python benchmarks/bench_extract.py full --people 100000   # full extraction of a sandbox world
  python benchmarks/bench_extract.py full --people 100000 --mess heavy --incremental-days 1   # every
      real-org knob on (Invoice__c named), then one incremental run after `advance`

`--dsn` uses an existing PostgreSQL; otherwise an embedded server is started in a temp folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from extractors.engine.loader import RawLoader, _copy, encode_rows, prepare_session  # noqa: E402
from extractors.engine.records import RawRow  # noqa: E402
from funnelhouse.core.raw import ensure_meta, ensure_raw_table  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def fake_rows(n: int, seed: int = 1, offset: int = 0) -> list[RawRow]:
    """~1 KB Salesforce-like records."""
    rnd = random.Random(seed)
    out = []
    for i in range(offset, offset + n):
        record = {"attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/00Q{i:015d}"},
                  "Id": f"00Q{i:015d}", "IsDeleted": False, "FirstName": rnd.choice(["Ana", "Zoë", "Łukasz"]),
                  "LastName": f"Name{i}", "Email": f"person{i}@example{i % 97}.com", "Status": "Working - Contacted",
                  "Company": f"Company {i % 1000}", "Title": "VP Data " * 3, "Phone": "+1 555 0100",
                  "Description": "x" * 520, "LeadSource": "Webinar", "OwnerId": f"005{i % 50:015d}",
                  "CreatedDate": "2024-01-05T10:00:00.000+0000",
                  "SystemModstamp": (T0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
        out.append(RawRow(record["Id"], T0 + timedelta(seconds=i), record, False))
    return out


def start_db(dsn: str | None) -> tuple[str, object | None]:
    if dsn:
        return dsn, None
    from funnelhouse.core.warehouse import EmbeddedWarehouse

    warehouse = EmbeddedWarehouse(Path(tempfile.mkdtemp(prefix="fh-bench-")))
    return warehouse.start(), warehouse


def _batches(rows: list[RawRow], batch: int, batch_id: str) -> list[list]:
    return [encode_rows(rows[i:i + batch], "salesforce", "Lead", batch_id, T0)[0] for i in range(0, len(rows), batch)]


def bench_load(dsn: str, n: int, batch: int, repeats: int) -> None:
    """Each strategy loads the same pre-encoded COPY batches (one transaction per batch), so the figures
    compare what PostgreSQL does; encoding (json.dumps) costs the same on every side and is timed apart."""
    rows, again = fake_rows(n), fake_rows(n, offset=n // 2)
    started = time.perf_counter()
    first = _batches(rows, batch, "bench")
    encode_s = time.perf_counter() - started
    second = _batches(again, batch, "bench2")
    size = sum(len(x.line) for b in first for x in b)
    print(f"rows {n:,} x ~{size // n} bytes, batches of {batch:,}, best of {repeats}; "
          f"encoding alone {n / encode_s:,.0f} rows/s")
    times: dict[str, list[float]] = {k: [] for k in ("plain", "bare", "textbook", "direct", "overlap", "tb_overlap")}

    def run(name: str, load) -> None:
        started = time.perf_counter()
        for chunk in (second if "overlap" in name else first):
            with conn.transaction():
                load(chunk)
        times[name].append(time.perf_counter() - started)

    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_meta(conn)
        prepare_session(conn)  # the extractor's own session settings
        for _ in range(repeats):
            conn.execute("drop table if exists bench_plain")
            conn.execute("create unlogged table bench_plain (id text, source_updated_at timestamptz, record jsonb,"
                         " is_deleted boolean, _extracted_at timestamptz, _batch_id text)")
            run("plain", lambda c: _copy(conn.cursor(), psycopg.sql.Identifier("bench_plain"), c))
            tables = {k: f"bench_{k}_{uuid.uuid4().hex[:6]}" for k in ("bare", "textbook", "direct")}
            for table in tables.values():
                ensure_raw_table(conn, "salesforce", table)
            loaders = {k: RawLoader(conn, "salesforce", t) for k, t in tables.items()}
            # "bare": a keyed COPY without idempotence, the ceiling for any idempotent path
            run("bare", lambda c, loaders=loaders: _copy(conn.cursor(), loaders["bare"].target, c))
            run("textbook", lambda c, loaders=loaders: loaders["textbook"]._merge(conn.cursor(), c))
            run("direct", lambda c, loaders=loaders: loaders["direct"].load(c, expect_new=True))
            run("overlap", lambda c, loaders=loaders: loaders["direct"].load(c, expect_new=False))
            run("tb_overlap", lambda c, loaders=loaders: loaders["textbook"]._merge(conn.cursor(), c))
            for table in tables.values():
                conn.execute(f"drop table raw_salesforce.{table}")
        conn.execute("drop table if exists bench_plain")
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    labels = {"plain": "plain COPY into unlogged table (no key)",
              "bare": "COPY into keyed logged raw table (not idempotent)",
              "textbook": "textbook: COPY to temp + INSERT ON CONFLICT",
              "direct": "raw loader, first load (direct COPY path)",
              "overlap": "raw loader, re-load overlapping 50%",
              "tb_overlap": "textbook, re-load overlapping 50%"}
    for key, label in labels.items():
        print(f"{label:<52}: {n / best[key]:>9,.0f} rows/s  ratio vs plain: best {best['plain'] / best[key]:.2f}, "
              f"median {med['plain'] / med[key]:.2f}")
    print(f"first-load goal: raw loader >= 0.8 of plain -> best {best['plain'] / best['direct']:.2f}, "
          f"median {med['plain'] / med['direct']:.2f}; end to end with encoding (median): "
          f"{(encode_s + med['plain']) / (encode_s + med['direct']):.2f}")


def _extract_env(servers, dsn: str) -> dict[str, str]:
    return {**os.environ, "WAREHOUSE_DSN": dsn, **servers.crm_env()}


def _fresh_database(dsn: str, name: str) -> str:
    base = dsn.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}"')
        conn.execute(f'create database "{name}"')
    return base + "/" + name


def bench_ratelimit(dsn: str, limit: int, people: int) -> None:
    """Extract HubSpot with small pages under a rolling `limit` requests / 10 s: how much of the allowed
    rate is used, and whether any request drew a 429."""
    from dataclasses import replace

    from extractors.engine.base import ExtractOptions
    from extractors.run import extract
    from funnelhouse.core.settings import HubSpotSettings, Secret, Settings
    from sandbox.emulators.faults import FaultConfig
    from sandbox.server import start_sandbox
    from sandbox.world import generate

    world = Path(tempfile.mkdtemp(prefix="fh-bench-world-")) / "w"
    generate(seed=5, people=people, out_dir=world)
    target = _fresh_database(dsn, "bench_ratelimit")
    options = replace(ExtractOptions(), hubspot_page_size=10, search_page_size=10)
    with start_sandbox(world, faults=FaultConfig(hubspot_rate_limit=limit, retry_after=1.0)) as servers:
        settings = Settings(state_dir=world.parent, hubspot=HubSpotSettings(
            access_token=Secret(servers.token), base_url=servers.hubspot_url))
        stamps: list[float] = []
        admit = servers.hubspot.before

        def timed(request):  # measurement only: note when each request reached the emulator
            stamps.append(time.monotonic())
            return admit(request)

        servers.hubspot.before = timed
        started = time.monotonic()
        summary = extract(settings, target, sources=["hubspot"], progress=False, options=options)
        seconds = time.monotonic() - started
        served = len(stamps)
    calls = sum(o.api_calls for o in summary.objects)
    retries = sum(o.retries for o in summary.objects)
    # A rolling window admits at most `limit` requests in any 10 s. Utilisation = requests sent in the
    # whole 10 s windows from the first request on / what those windows admit (the last, partial window
    # only holds the job's remainder, so it would measure the job size, not the limiter).
    span = stamps[-1] - stamps[0] if stamps else 0.0
    windows = max(1, int(span // 10))
    in_windows = sum(1 for t in stamps if t < stamps[0] + 10 * windows)
    print(f"limit {limit}/10 s, {seconds:.1f}s, {served} requests served ({calls} API calls, {retries} retried)")
    print(f"utilisation of the allowed rate: {in_windows / (limit * windows):.1%} over {windows} full windows "
          f"(goal >= 90%), "
          f"failed objects: {sum(o.outcome != 'success' for o in summary.objects)}, 429s/retries: {retries}")


def _cli_run(servers, target: str, extra_env: dict[str, str]) -> tuple[float, str, str, int]:
    """One `funnelhouse extract` in a child process: (wall s, stdout, stderr, exit code)."""
    import subprocess

    started = time.monotonic()
    # The child reports its own peak RSS from VmHWM: on Linux ru_maxrss survives exec, so a child forked
    # from this process (which holds the emulator's whole world) would report this process's size.
    code = ("import sys\nfrom extractors.cli import main\nrc = main(['--quiet'])\n"
            "hwm = [int(x.split()[1]) // 1024 for x in open('/proc/self/status') if x.startswith('VmHWM')]\n"
            "print('PEAK_RSS_MB', hwm[0] if hwm else '?', file=sys.stderr)\nsys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], env={**_extract_env(servers, target), **extra_env},
                            cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True)
    return time.monotonic() - started, result.stdout, result.stderr, result.returncode


def _run_totals(target: str, since: int) -> tuple[int, int, int]:
    with psycopg.connect(target) as conn:
        return conn.execute("select coalesce(sum(api_calls), 0), coalesce(sum(rows), 0), "
                            "coalesce(sum(versions_new), 0) from raw_meta.sync_runs "
                            "where started_at >= to_timestamp(%s)", (since,)).fetchone()


def bench_full(dsn: str, people: int, world: Path | None = None, mess: str = "default",
               incremental_days: float = 0) -> None:
    """Full extraction of a generated world by the real CLI in a child process (its own peak memory);
    with `incremental_days`, the world is then advanced that much and extracted again incrementally."""
    from sandbox.server import start_sandbox
    from sandbox.world import advance, generate

    if world is None:
        world = Path(tempfile.mkdtemp(prefix="fh-bench-world-")) / "w"
        started = time.monotonic()
        generate(seed=42, people=people, out_dir=world, mess=mess)
        print(f"world ({mess} mess) generated in {time.monotonic() - started:.0f}s: {world}")
    meta = json.loads((world / "world.json").read_text())
    people, mess = meta["people"], meta.get("mess", mess)
    # a heavy world carries the Salesforce custom object Invoice__c: extracted when named, as a deployment would
    extra = {"SALESFORCE_EXTRA_OBJECTS": "Invoice__c"} if (world / "salesforce" / "Invoice__c.jsonl").exists() else {}
    target = _fresh_database(dsn, "bench_full")
    with start_sandbox(world) as servers:
        labels = ["full"] + ([f"incremental after advance --days {incremental_days:g}"] if incremental_days else [])
        for label in labels:
            if label != "full":
                advance(world, days=incremental_days)
                servers.reload()
            since = int(time.time()) - 1
            wall, stdout, stderr, rc = _cli_run(servers, target, extra)
            print(stdout[-6000:])
            if rc:
                print(stderr[-3000:])
            calls, rows, versions = _run_totals(target, since)
            peak = next((line.split()[1] for line in stderr.splitlines() if line.startswith("PEAK_RSS_MB")), "?")
            print(f"{label} extraction of {people:,} people ({mess}): wall {wall:.0f}s, {calls:,} API calls, "
                  f"{rows:,} rows, {versions:,} versions, extractor peak RSS {peak} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["load", "ratelimit", "full", "all"], nargs="?", default="load")
    parser.add_argument("--dsn")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=50, help="sandbox HubSpot requests per 10 s")
    parser.add_argument("--world", type=Path, help="reuse a generated world folder for `full`")
    parser.add_argument("--mess", default="default", help="mess of the world `full` generates (heavy: all knobs)")
    parser.add_argument("--incremental-days", type=float, default=0,
                        help="`full`: then advance the world this many days and extract again")
    parser.add_argument("--rl-people", type=int, default=300, help="world size for the rate-limit benchmark")
    args = parser.parse_args()
    dsn, warehouse = start_db(args.dsn)
    try:
        if args.what in ("load", "all"):
            print("== load throughput ==")
            bench_load(dsn, args.rows, args.batch, args.repeats)
        if args.what in ("ratelimit", "all"):
            print("== HubSpot rate-limit utilisation ==")
            bench_ratelimit(dsn, args.limit, args.rl_people)
        if args.what == "full":
            print("== full extraction of a sandbox world ==")
            bench_full(dsn, args.people, args.world, args.mess, args.incremental_days)
    finally:
        if warehouse is not None:
            warehouse.stop()
    print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
