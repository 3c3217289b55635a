"""Write-audit-publish benchmark (figures printed, never asserted).

  python benchmarks/bench_publish.py [--people 100000] [--seed 7] [--dsn URL] [--repeats 2]

(--dsn: run in that database instead of a fresh one on an embedded server of its own.)

Loads a sandbox world into the raw layer, then, alternating in the same run and database:
- in place (development): `dbt build` into `marts` + the GX marts suites on `marts`;
- write-audit-publish (the pipeline): fresh `marts__next`, `dbt build` into it, the GX suites on the
  shadow, `publish_shadow` (stamp `_published_run_id`, grants, the one-transaction swap).
Reported (best of `--repeats`): both wall times and their ratio, the publish step alone, and the
time the swap transaction holds its ACCESS EXCLUSIVE lock on the live marts (what a BI query may
wait). GX runs without Data Docs in both, so the figures compare like with like.
"""

from __future__ import annotations

import argparse
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
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from benchmarks.database import bench_database  # noqa: E402
from funnelhouse import publish  # noqa: E402
from funnelhouse.dbt import run_dbt  # noqa: E402
from tests.support.dataset_load import load_dataset, world_clock  # noqa: E402

BUILD = ["build", "--exclude", "resource_type:unit_test"]


def in_place(dsn: str, as_of: str, state: Path) -> dict[str, float]:
    from expectations.runner import validate

    t = time.monotonic()
    ok = run_dbt(BUILD, dsn, vars={"as_of": as_of}).success
    build = time.monotonic() - t
    t = time.monotonic()
    validate(dsn, "staging,marts", data_docs=False, state_dir=state)
    return {"build": build, "validate": time.monotonic() - t, "ok": float(ok)}


def shadow(dsn: str, as_of: str, state: Path, run_id: str) -> dict[str, float]:
    t = time.monotonic()
    pub = publish.build_validate_publish(dsn, run_id, as_of=as_of, state_dir=state, data_docs=False)
    wall = time.monotonic() - t
    if not pub.published:
        print(f"  (run {run_id} withheld: {pub.reason}; {pub.failed_expectations[:3]})")
    return {"wall": wall, "build": pub.timings.get("dbt_build_seconds", 0.0),
            "validate": pub.timings.get("validate_seconds", 0.0),
            "publish": pub.timings.get("publish_seconds", 0.0),
            "lock": pub.timings.get("swap_lock_seconds", float("nan"))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dsn", default="")
    parser.add_argument("--repeats", type=int, default=2)
    opts = parser.parse_args()

    from sandbox.world import generate

    tmp = Path(tempfile.mkdtemp(prefix="bench_publish_"))
    # a fresh database on an embedded server of its own (or the database given by --dsn)
    dsn = bench_database(opts.dsn or None, tmp, f"bench_publish_{uuid.uuid4().hex[:6]}")
    try:
        dataset = tmp / "world"
        generate(opts.seed, opts.people, dataset)
        load_dataset(dsn, dataset, batch_id="bench-1", extracted_at=datetime.now(UTC) - timedelta(days=1))
        as_of = world_clock(dataset)
        print(f"world: {opts.people} people loaded; as of {as_of}")
        places, shadows = [], []
        for i in range(opts.repeats):
            places.append(in_place(dsn, as_of, tmp / "state"))
            shadows.append(shadow(dsn, as_of, tmp / "state", f"bench-{i}"))
            print(f"  round {i + 1}: in place {places[-1]['build'] + places[-1]['validate']:.1f}s, "
                  f"write-audit-publish {shadows[-1]['wall']:.1f}s (lock {shadows[-1]['lock'] * 1000:.1f} ms)")
        best_place = min(p["build"] + p["validate"] for p in places)
        best = min(shadows, key=lambda s: s["wall"])
        with psycopg.connect(dsn) as conn:
            marts = len(publish.tables(conn, "marts"))
        print(f"in place (dbt build + GX marts):           {best_place:.1f}s")
        print(f"write-audit-publish (shadow build + GX + publish): {best['wall']:.1f}s "
              f"(dbt {best['build']:.1f}s, GX {best['validate']:.1f}s, publish {best['publish']:.2f}s)")
        print(f"ratio write-audit-publish / in place:      {best['wall'] / best_place:.2f}")
        print(f"publish step (stamp, grants, drop prev, swap): {min(s['publish'] for s in shadows):.2f}s "
              f"for {marts} marts")
        print(f"swap lock held: best {min(s['lock'] for s in shadows) * 1000:.1f} ms, "
              f"worst {max(s['lock'] for s in shadows) * 1000:.1f} ms")
    finally:
        if not opts.dsn:
            from funnelhouse.core.warehouse import EmbeddedWarehouse

            EmbeddedWarehouse(tmp / "pg").stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
