"""HubSpot API calls per object and run (figures printed, never asserted).

  python benchmarks/bench_hubspot_calls.py [--people 5000] [--mess default] [--dsn DSN]

Runs, against one sandbox world: the first extraction, an incremental run right after it, and an
incremental run as an hourly schedule would see it (the association refresh slice aged one hour,
i.e. 1/24 of the population under the default HUBSPOT_ASSOCIATION_REFRESH_HOURS=24). Prints
`raw_meta.sync_runs.api_calls` per object for each run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
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


def _age_refresh(dsn: str, hours: float) -> None:
    at = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select cursor from raw_meta.sync_state where object = 'associations'").fetchone()
        cursor = (row or [None])[0] or {}
        for position in (cursor.get("refresh") or {}).values():
            position["at"] = at
        conn.execute("update raw_meta.sync_state set cursor = %s where object = 'associations'", (json.dumps(cursor),))


def _calls(dsn: str, run_id: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("select object, api_calls from raw_meta.sync_runs where run_id = %s", (run_id,))
                    .fetchall())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--mess", default="default")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fh-hscalls-"))
    warehouse = None
    dsn = args.dsn
    if not dsn:
        from funnelhouse.core.warehouse import EmbeddedWarehouse

        warehouse = EmbeddedWarehouse(tmp / "pg")
        dsn = warehouse.start()
    name = f"hscalls_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    target = dsn.rsplit("/", 1)[0] + f"/{name}"
    world = generate(args.seed, args.people, tmp / "world", mess=args.mess)
    runs: dict[str, dict[str, int]] = {}
    try:
        with start_sandbox(world) as servers:
            settings = servers.settings(Settings(state_dir=tmp))
            for label in ("first", "incremental", "incremental, hourly"):
                if label.endswith("hourly"):
                    _age_refresh(target, 1.0)
                summary = extract(settings, target, sources=["hubspot"], progress=False,
                                  options=ExtractOptions.from_env())
                runs[label] = _calls(target, summary.run_id)
    finally:
        if warehouse is not None:
            warehouse.stop()
    objects = list(next(iter(runs.values())))
    print(f"HubSpot API calls per run, {args.people:,} people, mess {args.mess}")
    print(f"{'object':32}" + "".join(f"{label:>22}" for label in runs))
    for obj in [*objects, "total"]:
        cells = [sum(r.values()) if obj == "total" else r.get(obj, 0) for r in runs.values()]
        print(f"{obj:32}" + "".join(f"{c:>22,}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
