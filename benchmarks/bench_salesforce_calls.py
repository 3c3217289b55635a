"""Salesforce API calls per object and run (figures printed, never asserted).

  python benchmarks/bench_salesforce_calls.py [--people 5000] [--mess heavy] [--extra Invoice__c]

Runs, against one sandbox world: the first extraction, an incremental run right after it, and an
incremental run with the formula refresh due (SALESFORCE_FORMULA_REFRESH_HOURS elapsed, forced here
with formula_refresh_hours=0). Prints `raw_meta.sync_runs.api_calls` per object for each run, and the
emulator's cursor figures (released under the user, most open at once).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from extractors.engine.base import ExtractOptions  # noqa: E402
from extractors.run import extract  # noqa: E402
from funnelhouse.core.settings import Settings  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402
from sandbox.world import generate  # noqa: E402


def _calls(dsn: str, run_id: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(dsn) as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(
            "select object, api_calls, mode from raw_meta.sync_runs where run_id = %s", (run_id,))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--mess", default="heavy")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--extra", default="Invoice__c", help="SALESFORCE_EXTRA_OBJECTS ('' for none)")
    parser.add_argument("--dsn")
    args = parser.parse_args()
    os.environ["SALESFORCE_EXTRA_OBJECTS"] = args.extra
    tmp = Path(tempfile.mkdtemp(prefix="fh-sfcalls-"))
    warehouse = None
    dsn = args.dsn
    if not dsn:
        from funnelhouse.core.warehouse import EmbeddedWarehouse

        warehouse = EmbeddedWarehouse(tmp / "pg")
        dsn = warehouse.start()
    name = f"sfcalls_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    target = dsn.rsplit("/", 1)[0] + f"/{name}"
    world = generate(args.seed, args.people, tmp / "world", mess=args.mess)
    runs: dict[str, dict[str, tuple[int, str]]] = {}
    try:
        with start_sandbox(world) as servers:
            settings = servers.settings(Settings(state_dir=tmp))
            base = ExtractOptions.from_env()
            for label, options in (("first", base), ("incremental", base),
                                   ("incr. + formulas", replace(base, formula_refresh_hours=0))):
                summary = extract(settings, target, sources=["salesforce"], progress=False, options=options)
                runs[label] = _calls(target, summary.run_id)
                failed = [(o.object, o.error) for o in summary.objects if o.outcome != "success"]
                if failed:
                    print("FAILED:", failed)
            limited = servers.salesforce.max_cursors is not None
            cursors = (servers.salesforce.released, servers.salesforce.peak_open if limited else "n/a (no limit)")
    finally:
        if warehouse is not None:
            warehouse.stop()
    objects = list(next(iter(runs.values())))
    print(f"Salesforce API calls per run, {args.people:,} people, mess {args.mess}, extra objects {args.extra!r}")
    print(f"{'object':24}" + "".join(f"{label:>20}" for label in runs) + "  modes")
    for obj in [*objects, "total"]:
        cells = [sum(c for c, _ in r.values()) if obj == "total" else r.get(obj, (0, ""))[0] for r in runs.values()]
        modes = " | ".join(r.get(obj, (0, ""))[1] for r in runs.values()) if obj != "total" else ""
        print(f"{obj:24}" + "".join(f"{c:>20,}" for c in cells) + f"  {modes}")
    print(f"cursors released under the user: {cursors[0]}, most open at once: {cursors[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
