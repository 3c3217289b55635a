"""Sandbox worlds shared by the whole session. A world is generated once per (seed, people, mess),
extracted once into its own database by the real extractors through the emulators, and built with dbt
once per selection; every test module that asks for the same world gets the same warehouse. The
extracted database is kept untouched: a build (or a test that changes data) works on a clone of it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from funnelhouse.dbt import DbtResult, run_dbt
from tests.support.extract import extract_world
from tests.support.warehouse import fetch

#: the funnel and sales marts of issue 5 with everything upstream (tests/oracle/funnel_marts_test.py)
FUNNEL_SELECT = ("funnel_stages", "funnel_stage_mapping", "channel_mapping", "opportunity_stage_mapping",
                 "staging", "intermediate.people", "intermediate.sales", "intermediate.marketing",
                 "intermediate.activities", "marts.core", "marts.funnel", "marts.sales")
#: the attribution / marketing / value marts, with everything upstream of them
ATTRIBUTION_SELECT = ("+path:models/marts/attribution", "+path:models/marts/marketing", "+path:models/marts/value")
#: what the oracle tests compare: one build serves the funnel, attribution, marketing and value oracles
ORACLE_SELECT = FUNNEL_SELECT + ATTRIBUTION_SELECT
#: every model, seed and data test (unit tests run in tests/models)
EVERYTHING: tuple[str, ...] = ()


def world_clock(dataset: Path | str) -> str:
    return json.loads((Path(dataset) / "world.json").read_text())["clock"]


@dataclass(frozen=True)
class BuiltWorld:
    seed: int
    people: int
    mess: str
    dsn: str
    dataset: Path
    as_of: datetime
    workdir: Path

    def dbt(self, args: list[str], vars: dict | None = None) -> DbtResult:
        """Run dbt on this world's database (own target folder, the world's clock as `as_of`)."""
        return run_dbt(args, self.dsn, vars={"as_of": self.as_of.isoformat(), **(vars or {})},
                       target_dir=self.workdir / "target")

    def fetch(self, sql: str, params: tuple = ()) -> list[dict]:
        return fetch(self.dsn, sql, params)


def dbt_build(dsn: str, dataset: Path, target: Path, select: tuple[str, ...] = ORACLE_SELECT,
              full_refresh: bool = False, vars: dict | None = None) -> dict[str, str]:
    """`dbt build` of `select` (everything when empty; unit tests excluded) at the world's clock; every
    node must pass. Returns each node's status message (e.g. `INSERT 0 12`)."""
    args = ["build", "--exclude", "resource_type:unit_test"]
    if select:
        args += ["--select", *select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    result = run_dbt(args, dsn, vars={"as_of": world_clock(dataset), **(vars or {})}, target_dir=target)
    failures = [(f["unique_id"], (f["message"] or "")[:500]) for f in result.failures]
    assert result.success and not failures, f"dbt build failed: {failures}"
    return {r["unique_id"].rsplit(".", 1)[-1]: r["message"] or "" for r in result.results}


class WorldCache:
    """Session cache of generated datasets, extracted warehouses and built warehouses."""

    def __init__(self, root: Path, make_database: Callable[..., str]):
        self.root = root
        self.make_database = make_database
        self._datasets: dict[tuple, Path] = {}
        self._extracted: dict[tuple, str] = {}
        self._built: dict[tuple, BuiltWorld] = {}

    @staticmethod
    def _name(seed: int, people: int, mess: str) -> str:
        return f"w{seed}_{people}_{mess}"

    def dataset(self, seed: int, people: int, mess: str = "default") -> Path:
        """The generated world's folder. Read-only: a test that advances a world uses `private_dataset`."""
        from sandbox.world import generate

        key = (seed, people, mess)
        if key not in self._datasets:
            self._datasets[key] = generate(seed, people, self.root / self._name(*key) / "world", mess=mess)
        return self._datasets[key]

    def private_dataset(self, seed: int, people: int, into: Path, mess: str = "default") -> Path:
        """A copy of the generated world that the caller may advance or edit."""
        return Path(shutil.copytree(self.dataset(seed, people, mess), into / "world"))

    def extracted(self, seed: int, people: int, mess: str = "default") -> str:
        """DSN of a database holding one full, fault-free extraction of the world. Read-only: clone it
        (`copy`) before changing anything."""
        key = (seed, people, mess)
        if key not in self._extracted:
            dataset = self.dataset(*key)
            dsn = self.make_database(f"raw_{self._name(*key)}")
            extract_world(dataset, dsn, dataset.parent / "state")
            self._extracted[key] = dsn
        return self._extracted[key]

    def copy(self, dsn: str, prefix: str = "copy") -> str:
        """A new database with the contents of `dsn` (PostgreSQL template copy)."""
        return self.make_database(prefix, template=dsn)

    def built(self, seed: int, people: int, mess: str = "default", select: tuple[str, ...] = ORACLE_SELECT,
              vars: dict | None = None) -> BuiltWorld:
        """The extracted world built with dbt (`select`; EVERYTHING for the whole project). Shared by every
        module asking for the same key: a test that changes it must restore what it changed."""
        key = (seed, people, mess, tuple(select), json.dumps(vars or {}, sort_keys=True))  # vars may nest
        if key not in self._built:
            dataset = self.dataset(seed, people, mess)
            workdir = dataset.parent / f"build{len(self._built)}"
            dsn = self.copy(self.extracted(seed, people, mess), f"built_{self._name(seed, people, mess)}")
            dbt_build(dsn, dataset, workdir / "target", select, vars=vars)
            clock = datetime.fromisoformat(world_clock(dataset).replace("Z", "+00:00"))
            self._built[key] = BuiltWorld(seed, people, mess, dsn, dataset, clock, workdir)
        return self._built[key]
