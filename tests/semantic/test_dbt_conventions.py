"""The dbt conventions of issue 19 on a built world: `dbt source freshness` measured to the run's as-of
time and stored in the audit schema (a stale source warns, never fails), the dbt docs site built offline,
and model access / groups (staging and intermediate private, marts public) enforced by dbt itself."""

from __future__ import annotations

import json
import re
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from funnelhouse.core.paths import PROJECT_ROOT
from funnelhouse.dbt import DBT_PROJECT_DIR, run_dbt

sys.path.insert(0, str(PROJECT_ROOT))
from tests.semantic.world import World  # noqa: E402
from tests.support.chromium import chromium_binary, console_errors, render  # noqa: E402

WATCHED = {  # the raw tables with a freshness rule (catalogues such as products and owners have none)
    "salesforce": ["lead", "contact", "account", "opportunity", "opportunity_history", "opportunity_contact_role",
                   "opportunity_line_item", "campaign_member", "lead_history", "task", "event"],
    "hubspot": ["contacts", "companies", "deals", "line_items", "calls", "emails", "meetings", "associations",
                "marketing_event_participations"],
}


def test_source_freshness_to_the_as_of_time(world: World, tmp_path: Path):
    from funnelhouse.orchestration.source_freshness import check_source_freshness

    # at the world's own clock the sandbox is fresh, though its records are months older than the wall clock
    summary = check_source_freshness(world.dsn, "fresh-run", world.clock, tmp_path / "fresh")
    assert summary["checked"] == sum(len(t) for t in WATCHED.values()) and summary["stale"] == []
    rows = world.fetch("select * from audit.source_freshness where run_id = 'fresh-run'")
    assert {(r["source"], r["table_name"]) for r in rows} == {(s, t) for s, ts in WATCHED.items() for t in ts}
    for r in rows:
        schema = f"raw_{r['source']}"
        newest = world.fetch(f'select max(source_updated_at) as m from {schema}."{r["table_name"]}"')[0]["m"]
        # the stored time is the table's real newest change, the age its distance to the as-of time
        assert abs((r["newest_change_at"] - newest).total_seconds()) < 1, r
        assert abs(r["age_seconds"] - (world.as_of - newest).total_seconds()) < 5, r
        slow = r["table_name"] in ("account", "opportunity_line_item", "companies", "line_items", "meetings")
        assert r["status"] == "pass" and r["warn_after"] == ("60 day" if slow else "7 day"), r
        assert r["error_after"] is None

    # ninety days later nothing changed: every watched table is stale, a warning, and the check still returns
    later = (world.as_of + timedelta(days=90)).isoformat()
    summary = check_source_freshness(world.dsn, "stale-run", later, tmp_path / "stale")
    assert len(summary["stale"]) == summary["checked"]
    assert {r["status"] for r in world.fetch("select status from audit.source_freshness where run_id = 'stale-run'")} \
        == {"warn"}

    with psycopg.connect(world.dsn) as conn, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        conn.execute("delete from audit.source_freshness")


def test_dbt_docs_site_opens_offline(world: World, tmp_path: Path):
    from funnelhouse.orchestration.dbt_docs import build_docs_site

    out = build_docs_site(world.dsn, None, tmp_path / "dbt_docs")
    index = Path(out["dbt_docs"])
    assert index == tmp_path / "dbt_docs" / "index.html"
    html = index.read_text()
    # self-contained: no script or stylesheet from elsewhere, usage tracking off in the inlined manifest
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert '"send_anonymous_usage_stats": false' in html or '"send_anonymous_usage_stats":false' in html
    for name in ("fct_stage_entries", "metricflow_time_spine", "win_rates"):
        assert f"model.funnelhouse.{name}" in html


@pytest.mark.skipif(not chromium_binary(), reason="chromium not installed (make system-deps)")
def test_dbt_docs_site_renders_in_chromium(world: World, tmp_path: Path):
    """End-to-end tier (tests/conftest.py E2E_TESTS): the page renders with the network unreachable."""
    from funnelhouse.orchestration.dbt_docs import build_docs_site

    index = Path(build_docs_site(world.dsn, None, tmp_path / "dbt_docs")["dbt_docs"])
    page = render(index)
    assert "funnelhouse" in page.dom.lower() and "ng-app" in page.dom
    assert not console_errors(page.console), page.console[:5]


def test_access_and_groups(world: World, tmp_path: Path):
    manifest = json.loads((world.target / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    for node in models:
        layer = node["fqn"][1]
        expected = "private" if layer in ("staging", "intermediate") else "public"
        assert (node["access"], node["group"]) == (expected, "analytics"), (node["name"], node["access"])
    assert sum(n["fqn"][1] == "marts" for n in models) >= 28

    # dbt enforces it: a model of another group that refs a private staging model does not parse
    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "models" / "outside").mkdir()
    (project / "models" / "outside" / "outside_report.sql").write_text(
        "{{ config(group='finance') }}\nselect * from {{ ref('stg_salesforce__leads') }}\n")
    (project / "models" / "outside" / "_outside__models.yml").write_text(
        "version: 2\ngroups:\n- name: finance\n  owner: {name: Finance}\n")
    try:
        parsed, message = run_dbt(["parse"], world.dsn, target_dir=tmp_path / "target", project_dir=project).success, ""
    except RuntimeError as exc:  # dbt's reference error arrives as the invocation's exception
        parsed, message = False, str(exc)
    assert not parsed and "private" in message and "stg_salesforce__leads" in message, message[:500]
