"""A sandbox world with every mart built (seed, run, the semantic layer's own models tested), shared by
the semantic-layer tests of one session."""

from __future__ import annotations

import sys

import pytest

from funnelhouse.core.paths import PROJECT_ROOT
from funnelhouse.dbt import run_dbt

sys.path.insert(0, str(PROJECT_ROOT))
from tests.semantic.world import World  # noqa: E402
from tests.support.dataset_load import load_dataset  # noqa: E402
from tests.support.worlds import world_clock  # noqa: E402

SEED, PEOPLE = 31, 1500


@pytest.fixture(scope="session")
def world(make_database, tmp_path_factory) -> World:
    from sandbox.world import generate

    work = tmp_path_factory.mktemp("semantic")
    generate(SEED, PEOPLE, work / "world")
    dsn = make_database("semantic")
    load_dataset(dsn, work / "world")
    clock = world_clock(work / "world")
    for args in (["seed"], ["run"], ["test", "--select", "fct_stage_entries", "fct_activities",
                                     "metricflow_time_spine"]):
        result = run_dbt(args, dsn, vars={"as_of": clock}, target_dir=work / "target")
        assert result.success and not result.failures, (args, result.failures[:3])
    return World(dsn, work / "target", clock)
