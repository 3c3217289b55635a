"""The issue-5 dbt models on an empty raw layer (a fresh install before the first extraction) and on a
raw layer missing some tables: everything builds, every data test and unit test passes, docs generate."""

from __future__ import annotations

import sys

import psycopg

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.dbt import run_dbt

sys.path.insert(0, str(PROJECT_ROOT))
from tests.support.raw import create_raw_tables  # noqa: E402

SELECT = ["funnel_stages", "funnel_stage_mapping", "channel_mapping", "opportunity_stage_mapping", "staging",
          "intermediate.people", "intermediate.sales", "intermediate.marketing", "intermediate.activities",
          "marts.core", "marts.funnel", "marts.sales", "intermediate.history", "marts.history",
          # the singular test of the staging parse macros (no model parent, so name it)
          "raw_helpers_parse_api_strings"]


def test_build_on_empty_raw_layer_with_unit_tests_and_docs(make_database, tmp_path):
    dsn = make_database("dbt_empty")
    create_raw_tables(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table raw_hubspot.marketing_events")  # an object the portal may not expose
    result = run_dbt(["build", "--select", *SELECT, "--indirect-selection", "cautious"], dsn,
                     vars={"as_of": "2026-01-01T00:00:00Z"}, target_dir=tmp_path / "target")
    assert result.success, [(f["unique_id"], f["message"]) for f in result.failures]
    ran = {r["unique_id"].split(".")[0] for r in result.results}
    assert {"model", "test", "unit_test", "seed"} <= ran
    assert "test.funnelhouse.raw_helpers_parse_api_strings" in {r["unique_id"] for r in result.results}
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from marts.dim_people").fetchone() == (0,)
        assert conn.execute("select count(*) from marts.pipeline_waterfall").fetchone() == (0,)
    docs = run_dbt(["docs", "generate"], dsn, target_dir=tmp_path / "target")
    assert docs.success
