"""Semantic-layer benchmark (figures printed, never asserted): how long MetricFlow takes to answer typical
dashboard queries on a built warehouse.

  python benchmarks/bench_metrics.py [--people 100000] [--seed 7] [--repeat 5] [--cli]
  python benchmarks/bench_metrics.py --dsn URL --target DIR      # an already built warehouse

Without `--dsn` it builds its own: a sandbox world loaded into the raw layer (tests/support/dataset_load)
of an embedded server kept under `.state/bench_metrics/` (reused by the next run), `dbt seed` + `dbt run`
with the world's clock as `as_of`. `--target` is a dbt target folder holding the project's
`semantic_manifest.json` for that warehouse (any `dbt parse|run|build` writes one).

Per query: the first run (MetricFlow plans it, PostgreSQL runs it), then the median of `--repeat` runs;
plus the engine start-up (manifest load, adapter) once, and with `--cli` the wall time of one
`funnelhouse metrics query` (the `mf` CLI), which pays the start-up on every call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

from funnelhouse.metrics import SemanticLayer  # noqa: E402

QUERIES = {
    "win rate by month x region": (["win_rate", "won_deals", "won_revenue", "amount_win_rate"],
                                   ["metric_time__month", "opportunity__region"]),
    "win rate by quarter x owner": (["win_rate"], ["metric_time__quarter", "opportunity__owner_id"]),
    "stage volume by month x stage x channel": (["stage_entries"],
                                                ["metric_time__month", "stage_entry__stage", "stage_entry__channel"]),
    "lead->MQL conversion by month x channel": (["lead_to_mql_conversion_rate"],
                                                ["metric_time__month", "person__first_touch_channel"]),
    "revenue forecast by month": (["revenue_forecast", "won_revenue", "weighted_pipeline"], ["metric_time__month"]),
    "attributed revenue by model x channel": (["attributed_revenue", "attributed_pipeline"],
                                              ["attribution_credit__model", "attribution_credit__channel"]),
    "campaign ROI by channel": (["campaign_roi", "cost_per_response"], ["campaign__channel"]),
    "activities by week x type": (["activities"], ["metric_time__week", "activity__activity_type"]),
}


def build_world(people: int, seed: int) -> tuple[str, Path]:
    """A built warehouse of `people` (generated, loaded and run once; reused when already built)."""
    import psycopg

    from benchmarks.database import bench_database
    from funnelhouse.dbt import run_dbt
    from sandbox.world import generate
    from tests.support.dataset_load import load_dataset
    from tests.support.worlds import world_clock

    state = ROOT / ".state" / "bench_metrics"
    dsn = bench_database(None, state, f"bench_metrics_{seed}_{people}")
    work = state / f"world_{seed}_{people}"
    with psycopg.connect(dsn) as conn:
        built = conn.execute("select to_regclass('marts.fct_stage_entries') is not null").fetchone()[0]
    if not built or not (work / "target" / "semantic_manifest.json").exists():
        t = time.monotonic()
        generate(seed, people, work / "world")
        load_dataset(dsn, work / "world")
        for args in (["seed"], ["run"]):
            result = run_dbt(args, dsn, vars={"as_of": world_clock(work / "world")}, target_dir=work / "target")
            if not result.success:
                raise SystemExit(f"dbt {args[0]} failed: {[f['unique_id'] for f in result.failures][:5]}")
        print(f"world: {people} people generated, loaded and built in {time.monotonic() - t:.0f} s")
    return dsn, work / "target"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", default="")
    parser.add_argument("--target", type=Path)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="also time one `funnelhouse metrics query` (mf CLI)")
    opts = parser.parse_args()
    if not opts.dsn:
        opts.dsn, opts.target = build_world(opts.people, opts.seed)
    elif opts.target is None:
        parser.error("--target is required with --dsn")

    started = time.monotonic()
    layer = SemanticLayer.open(opts.dsn, opts.target)
    figures: dict[str, object] = {"engine_start_s": round(time.monotonic() - started, 2), "queries": {}}
    print(f"engine start-up (manifest + adapter): {figures['engine_start_s']} s")
    for name, (metrics, group_by) in QUERIES.items():
        t = time.monotonic()
        rows = layer.query(metrics, group_by)
        first = time.monotonic() - t
        runs = []
        for _ in range(opts.repeat):
            t = time.monotonic()
            layer.query(metrics, group_by)
            runs.append(time.monotonic() - t)
        median = statistics.median(runs)
        figures["queries"][name] = {"rows": len(rows), "first_s": round(first, 3), "median_s": round(median, 3)}
        print(f"  {name:<42} {len(rows):>6} rows  first {first:6.3f} s  median {median:6.3f} s")
    if opts.cli:
        metrics, group_by = QUERIES["win rate by month x region"]
        t = time.monotonic()
        # the CLI reads dbt_project/target/semantic_manifest.json; the warehouse comes from WAREHOUSE_DSN
        subprocess.run([str(Path(sys.executable).with_name("funnelhouse")), "metrics", "query", "--metrics",
                        ",".join(metrics), "--group-by", ",".join(group_by), "--quiet"],
                       check=True, capture_output=True, env={**os.environ, "WAREHOUSE_DSN": opts.dsn})
        figures["cli_wall_s"] = round(time.monotonic() - t, 2)
        print(f"funnelhouse metrics query (mf CLI, one call, start-up included): {figures['cli_wall_s']} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
