"""Sandbox worlds for the attribution, marketing and value oracle tests: generated, loaded straight into
the raw tables and built with dbt once per test session (the build is shared by every module that asks
for the same world)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from funnelhouse.dbt import run_dbt
from tests.models.dataset_loader import load_dataset, world_clock

#: what the attribution / marketing / value marts need, with everything upstream of them
SELECT = [
    "+path:models/marts/attribution",
    "+path:models/marts/marketing",
    "+path:models/marts/value",
]


@dataclass(frozen=True)
class BuiltWorld:
    seed: int
    people: int
    dsn: str
    dataset: Path
    as_of: datetime
    workdir: Path

    def dbt(self, args: list[str], vars: dict | None = None):
        """Run dbt on this world's database (own target folder, the world's clock as `as_of`)."""
        return run_dbt(args, self.dsn, vars={"as_of": self.as_of.isoformat(), **(vars or {})},
                       target_dir=self.workdir / "target")

    def fetch(self, sql: str, params: tuple = ()) -> list[dict]:
        with psycopg.connect(self.dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, params).fetchall()


_built: dict[tuple, BuiltWorld] = {}


def build_world(
    seed: int,
    people: int,
    make_database: Callable[[str], str],
    workdir: Path,
    mess: str = "default",
    vars: dict | None = None,
) -> BuiltWorld:
    """Generate world `seed`, load it, run `dbt build` of the marts above (models and data tests) with
    the world's clock as `as_of`; cached per (seed, people, mess, vars) for the session."""
    from sandbox.world import generate

    key = (seed, people, mess, tuple(sorted((vars or {}).items())))
    if key in _built:
        return _built[key]
    dataset = workdir / "world"
    generate(seed, people, dataset, mess=mess)
    dsn = make_database(f"attr_{seed}_{people}")
    load_dataset(dsn, dataset)
    clock = world_clock(dataset)
    result = run_dbt(
        ["build", "--select", *SELECT, "--exclude", "resource_type:unit_test", "--indirect-selection", "cautious"],
        dsn,
        vars={"as_of": clock, **(vars or {})},
        target_dir=workdir / "target",
    )
    failures = [(f["unique_id"], (f["message"] or "")[:500]) for f in result.failures]
    assert result.success and not failures, failures
    world = BuiltWorld(seed, people, dsn, dataset, datetime.fromisoformat(clock.replace("Z", "+00:00")), workdir)
    _built[key] = world
    return world
