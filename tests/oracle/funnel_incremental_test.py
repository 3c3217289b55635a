"""Incremental = full refresh: extract a world, build; advance the sandbox, extract again incrementally,
build incrementally; the marts must equal a --full-refresh build of the same raw layer, and still match
the independent oracle at the new clock. On a default world and on a `--mess heavy` one (a
multi-currency org with merges, reopened deals, source-less contacts, restricted-user rows: every
real-org knob), so the money columns and the merge / reopen rules are incremental-safe too."""

from __future__ import annotations

import sys

import psycopg
import pytest

from funnelhouse.core.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from tests.oracle.funnel_marts_test import build, compare, fetch  # noqa: E402
from tests.oracle.funnel_oracle import World  # noqa: E402
from tests.support.extract import DAYS_LATER, extract_world  # noqa: E402

MARTS = ["dim_people", "dim_companies", "dim_campaigns", "fct_touchpoints", "fct_opportunity_people",
         "fct_opportunities", "funnel_stage_volume", "funnel_conversion", "fct_stage_transitions", "funnel_velocity",
         "funnel_stuck_records", "funnel_stage_health", "win_rates", "revenue_forecast", "open_pipeline",
         "pipeline_velocity",
         "opportunity_stage_velocity", "sales_activity", "rep_performance"]
# the incremental intermediate models, and the tables built over them
INTERMEDIATE = ["int_activity_records", "int_activities", "int_hubspot_contact_lifecycle_dates",
                "int_hubspot_contact_conversions", "int_touchpoints", "int_person_stage_events", "int_person_stages",
                "int_person_activity"]


def snapshot(dsn: str) -> dict[str, list[tuple]]:
    out = {}
    with psycopg.connect(dsn) as conn:
        for mart in MARTS:
            out[mart] = sorted(conn.execute(f"select * from marts.{mart}").fetchall(), key=repr)
        for model in INTERMEDIATE:
            out[model] = sorted(conn.execute(f"select * from intermediate.{model}").fetchall(), key=repr)
    return out


@pytest.fixture(scope="module", params=[pytest.param("default", id="seed31"),
                                        pytest.param("heavy", id="seed31-heavy")])
def advanced(request, tmp_path_factory, make_database, worlds):
    from sandbox.world import advance

    root = tmp_path_factory.mktemp("incremental")
    dataset = worlds.private_dataset(31, 500, root, mess=request.param)  # advanced below: a copy of its own
    dsn = make_database("funnel_incremental")
    extract_world(dataset, dsn, root / "state")
    build(dsn, dataset, root / "target")
    advance(dataset, 5)
    extract_world(dataset, dsn, root / "state", DAYS_LATER)
    messages = build(dsn, dataset, root / "target")
    incremental = snapshot(dsn)
    build(dsn, dataset, root / "target", full_refresh=True)
    return dsn, dataset, incremental, snapshot(dsn), messages


def test_incremental_equals_full_refresh(advanced):
    _dsn, _dataset, incremental, full, _messages = advanced
    for mart in MARTS:
        assert incremental[mart] == full[mart], mart
    for model in INTERMEDIATE:
        assert incremental[model] == full[model], model


def test_advanced_world_matches_oracle(advanced):
    dsn, dataset, _incremental, _full, _messages = advanced
    world = World(dataset)
    compare(world.funnel_stage_volume(), fetch(dsn, "select * from marts.funnel_stage_volume"),
            lambda r: (r["month"], r["stage"], r["channel"], r["campaign_id"]), "funnel_stage_volume")
    compare(world.win_rates(), fetch(dsn, "select * from marts.win_rates"),
            lambda r: (r["close_month"], r["dimension"], r["dimension_value"]), "win_rates")
    compare(world.sales_activity(), fetch(dsn, "select * from marts.sales_activity"),
            lambda r: (r["week"], r["owner_id"], r["activity_type"]), "sales_activity")
    compare(world.funnel_stage_health(), fetch(dsn, "select * from marts.funnel_stage_health"),
            lambda r: (r["current_stage"], r["channel"]), "funnel_stage_health")


def test_record_models_reread_only_changed_records(advanced):
    """The incremental record models inserted the re-read records only, not the whole table."""
    _dsn, _dataset, incremental, _full, messages = advanced
    for model in ("int_activity_records", "int_hubspot_contact_lifecycle_dates", "int_hubspot_contact_conversions"):
        status = messages[model].split()
        assert status[0] == "INSERT", (model, messages[model])
        assert 0 < int(status[-1]) < len(incremental[model]) / 2, (model, messages[model], len(incremental[model]))
