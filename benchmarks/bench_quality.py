"""Data-quality benchmark (figures printed, never asserted).

  python benchmarks/bench_quality.py [--people 5000] [--seed 42] [--dsn URL] [--no-docs]

Builds a sandbox world of `--people` people (generated, loaded straight into the raw tables, every
dbt model built), then times `expectations.runner.validate` per layer (raw, staging, marts) and for
all layers at once, with Data Docs unless --no-docs. Reported: seconds per layer, expectations,
tables, rows validated, and the one-off cost of importing Great Expectations.

The world is loaded without the extractors, so raw_meta (sync bookkeeping) is absent and its suite
reports 'not built'. `--dsn` uses an existing database (built once); otherwise an embedded server
under .state/bench/quality is started and kept, so a second run reuses the built world.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

from benchmarks.database import bench_database  # noqa: E402

STATE = ROOT / ".state" / "bench" / "quality"


def prepare(dsn: str, seed: int, people: int) -> None:
    from funnelhouse.dbt import run_dbt
    from sandbox.world import generate
    from tests.support.dataset_load import load_dataset, world_clock

    with psycopg.connect(dsn) as conn:
        if conn.execute("select to_regclass('marts.attribution_campaign') is not null").fetchone()[0]:
            return
    dataset = STATE / f"world_{seed}_{people}"
    if not (dataset / "world.json").exists():
        started = time.perf_counter()
        generate(seed, people, dataset)
        print(f"generate world seed {seed}, {people:,} people: {time.perf_counter() - started:.1f}s", flush=True)
    with psycopg.connect(dsn) as conn:
        loaded = conn.execute("select to_regclass('raw_salesforce.lead') is not null").fetchone()[0]
    if not loaded:
        started = time.perf_counter()
        load_dataset(dsn, dataset)
        print(f"load raw: {time.perf_counter() - started:.1f}s", flush=True)
    started = time.perf_counter()
    for args in (["seed"], ["run"]):
        result = run_dbt(args, dsn, vars={"as_of": world_clock(dataset)}, target_dir=STATE / "target")
        print(f"dbt {args[0]}: {time.perf_counter() - started:.1f}s (success={result.success})", flush=True)


def rows_validated(dsn: str, summary) -> int:
    total = 0
    with psycopg.connect(dsn) as conn:
        for o in summary.outcomes:
            if o.status == "validated" and "." in o.asset:
                schema, table = o.asset.split(".", 1)
                total += conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dsn")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    dsn = bench_database(args.dsn, STATE, f"quality_{args.seed}_{args.people}")
    prepare(dsn, args.seed, args.people)

    started = time.perf_counter()
    import great_expectations  # noqa: F401

    from expectations.runner import validate

    print(f"import great_expectations: {time.perf_counter() - started:.1f}s (once per process)")
    state = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    print(f"{'layer':<8} {'seconds':>8} {'tables':>7} {'expectations':>13} {'rows':>12} "
          f"{'critical':>9} {'warnings':>9}")
    for layer in ("raw", "staging", "marts", "all"):
        started = time.perf_counter()
        summary = validate(dsn, layer, state_dir=state, data_docs=not args.no_docs)
        seconds = time.perf_counter() - started
        for target, result in summary.critical_failures:
            print(f"   critical: {target.asset} {result.expectation_type} {result.column or ''} "
                  f"{(result.description or '')[:80]}", flush=True)
        print(f"{layer:<8} {seconds:>8.1f} {len(summary.outcomes):>7} {summary.evaluated:>13} "
              f"{rows_validated(dsn, summary):>12,} {len(summary.critical_failures):>9} {len(summary.warnings):>9}",
              flush=True)
    print(f"Data Docs: {state / 'quality' / 'data_docs' / 'index.html'}" if not args.no_docs else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
