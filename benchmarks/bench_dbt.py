"""dbt benchmark (figures printed, never asserted).

  python benchmarks/bench_dbt.py [--people 100000] [--seed 7] [--dsn URL] [--select ...]

1. generates a sandbox world and loads its records into the raw layer (tests/support/dataset_load.py:
   the extractors' raw layout, without the HTTP round trips, which bench_extract measures);
2. `dbt build --full-refresh` (models + data tests): wall time and the slowest models;
3. `sandbox advance --days 1`, loads the new versions, `dbt build` incrementally: wall time and its
   ratio to the full build, and the summed model time of both builds;
4. `dbt test` alone on the unchanged tables: the floor under any incremental `dbt build` (dbt's own
   cost per test node, whatever the models do).
`--dsn` uses an existing PostgreSQL; otherwise an embedded server is started in a temp folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

from funnelhouse.dbt import run_dbt  # noqa: E402
from tests.support.dataset_load import load_dataset, world_clock  # noqa: E402


def dbt_build(dsn: str, dataset: Path, target: Path, select: list[str], full_refresh: bool) -> tuple[float, dict]:
    args = ["build", "--exclude", "resource_type:unit_test"]
    if select:
        args += ["--select", *select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    started = time.monotonic()
    result = run_dbt(args, dsn, vars={"as_of": world_clock(dataset)}, target_dir=target)
    wall = time.monotonic() - started
    failed = [r["unique_id"] for r in result.failures if r["status"] not in ("no-op", "NodeStatus.NoOp")]
    if failed:
        print(f"  {len(failed)} nodes failed, e.g. {failed[:5]}")
    times = {r["unique_id"]: r["execution_time"] for r in result.results}
    return wall, times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dsn", default="")
    parser.add_argument("--select", nargs="*", default=[])
    parser.add_argument("--days", type=float, default=1)
    opts = parser.parse_args()

    from sandbox.world import advance, generate

    tmp = Path(tempfile.mkdtemp(prefix="bench_dbt_"))
    warehouse = None
    if opts.dsn:
        base = opts.dsn
    else:
        from funnelhouse.core.warehouse import EmbeddedWarehouse

        warehouse = EmbeddedWarehouse(tmp / "pg")
        base = warehouse.start()
    db = f"bench_dbt_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    dsn = base.rsplit("/", 1)[0] + f"/{db}"
    try:
        dataset = tmp / "world"
        t = time.monotonic()
        generate(opts.seed, opts.people, dataset)
        print(f"world: {opts.people} people generated in {time.monotonic() - t:.0f}s")
        t = time.monotonic()
        # the first load is "yesterday's" extraction: the incremental run a day later then sees only
        # the versions extracted since (as on a real schedule), not a load minutes old
        counts = load_dataset(dsn, dataset, batch_id="bench-1", extracted_at=datetime.now(UTC) - timedelta(days=1))
        print(f"raw load: {sum(counts.values())} record versions in {time.monotonic() - t:.0f}s")

        full, times = dbt_build(dsn, dataset, tmp / "target", opts.select, full_refresh=True)
        models = {k: v for k, v in times.items() if k.startswith("model.")}
        print(f"dbt build --full-refresh: {full:.1f}s wall ({len(models)} models, "
              f"{len(times) - len(models)} tests/seeds); model time total {sum(models.values()):.1f}s")
        for node, seconds in sorted(models.items(), key=lambda kv: -kv[1])[:20]:
            print(f"  {seconds:7.2f}s  {node.removeprefix('model.funnelhouse.')}")

        t = time.monotonic()
        advance(dataset, opts.days)
        counts2 = load_dataset(dsn, dataset, batch_id="bench-2")
        with psycopg.connect(dsn) as conn:
            new = sum(conn.execute(f"select count(*) from {t_} where _batch_id = 'bench-2'").fetchone()[0]
                      for t_ in [f'raw_salesforce."{k.split(".", 1)[1]}"' if k.startswith("salesforce")
                                 else f'raw_hubspot."{k.split(".", 1)[1]}"' for k in counts2])
        print(f"advance {opts.days} day(s): {new} new record versions ({new / max(sum(counts.values()), 1):.2%}) "
              f"loaded in {time.monotonic() - t:.0f}s")
        incremental, times2 = dbt_build(dsn, dataset, tmp / "target", opts.select, full_refresh=False)
        print(f"dbt build (incremental): {incremental:.1f}s wall = {incremental / full:.2f} x the full build")
        for node, seconds in sorted(((k, v) for k, v in times2.items() if k.startswith("model.")),
                                    key=lambda kv: -kv[1])[:10]:
            print(f"  {seconds:7.2f}s  {node.removeprefix('model.funnelhouse.')}")
        # the floor under any incremental `dbt build`: the data tests alone, on tables that did not change
        started = time.monotonic()
        tests = run_dbt(["test", "--exclude", "resource_type:unit_test"], dsn,
                        vars={"as_of": world_clock(dataset)}, target_dir=tmp / "target")
        tests_only = time.monotonic() - started
        print(f"dbt test alone (no model built): {tests_only:.1f}s wall = {tests_only / full:.2f} x the full build "
              f"({len(tests.results)} tests)")
        model_time = sum(v for k, v in times.items() if k.startswith("model."))
        model_time2 = sum(v for k, v in times2.items() if k.startswith("model."))
        print(f"model time (sum over models): full {model_time:.1f}s, incremental {model_time2:.1f}s"
              f" = {model_time2 / model_time:.2f}")
        print(json.dumps({"people": opts.people, "full_build_s": round(full, 1),
                          "incremental_build_s": round(incremental, 1), "ratio": round(incremental / full, 3),
                          "tests_only_s": round(tests_only, 1), "tests_only_ratio": round(tests_only / full, 3),
                          "model_time_ratio": round(model_time2 / model_time, 3)}))
    finally:
        with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')
        if warehouse is not None:
            warehouse.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
