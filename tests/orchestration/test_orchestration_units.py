"""Unit tests of the orchestration logic that needs neither Airflow nor a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from funnelhouse.core.settings import ConfigError, load_settings
from funnelhouse.orchestration import assets, tasks
from funnelhouse.orchestration.dbt_render import mart_models, project_fingerprint
from funnelhouse.orchestration.settings import load_orchestration_settings, parse_schedule


@pytest.mark.parametrize(("raw", "expected"), [(None, "@hourly"), ("", "@hourly"), ("@daily", "@daily"),
                                               ("15 * * * *", "15 * * * *"), ("none", None), ("off", None)])
def test_schedule(raw, expected) -> None:
    assert parse_schedule("FUNNELHOUSE_SCHEDULE", raw, "@hourly") == expected


@pytest.mark.parametrize("raw", ["@fortnightly", "every hour", "61 * * * *"])
def test_bad_schedule_names_the_variable(raw) -> None:
    with pytest.raises(ConfigError, match="FUNNELHOUSE_SCHEDULE"):
        parse_schedule("FUNNELHOUSE_SCHEDULE", raw, "@hourly")


def test_retry_settings_from_env(monkeypatch) -> None:
    monkeypatch.setenv("FUNNELHOUSE_TASK_RETRIES", "5")
    monkeypatch.setenv("FUNNELHOUSE_RETRY_DELAY_SECONDS", "30")
    monkeypatch.setenv("FUNNELHOUSE_HUBSPOT_PARALLELISM", "1")
    s = load_orchestration_settings()
    assert (s.retries, s.retry_delay, s.retry_backoff) == (5, timedelta(seconds=30), 2.0)
    assert s.parallelism("hubspot") == 1 and s.parallelism("salesforce") == 4
    monkeypatch.setenv("FUNNELHOUSE_TASK_RETRIES", "three")
    with pytest.raises(ConfigError, match="FUNNELHOUSE_TASK_RETRIES"):
        load_orchestration_settings()


def test_as_of_precedence(monkeypatch) -> None:
    now = datetime(2026, 3, 1, 12, 0, 7, 123, tzinfo=UTC)
    monkeypatch.delenv("FUNNELHOUSE_AS_OF", raising=False)
    assert tasks.resolve_as_of({}, now=now) == "2026-03-01T12:00:07+00:00"
    end = datetime(2026, 2, 1, tzinfo=UTC)
    assert tasks.resolve_as_of({}, "backfill", end, now=now) == "2026-02-01T00:00:00+00:00"
    assert tasks.resolve_as_of({}, "scheduled", end, now=now) == "2026-03-01T12:00:07+00:00"
    monkeypatch.setenv("FUNNELHOUSE_AS_OF", "2025-12-31T23:00:00Z")
    assert tasks.resolve_as_of({}, "backfill", end, now=now) == "2025-12-31T23:00:00+00:00"
    assert tasks.resolve_as_of({"as_of": "2025-06-01"}, now=now) == "2025-06-01T00:00:00+00:00"


CRM_VARS = ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_USERNAME", "SALESFORCE_CLIENT_ID",
            "HUBSPOT_ACCESS_TOKEN", "SALESFORCE_PASSWORD", "SALESFORCE_CLIENT_SECRET")


def test_source_without_credentials_is_skipped_with_reason(monkeypatch, tmp_path) -> None:
    for var in CRM_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-test")
    settings = load_settings(env_file=tmp_path / "none.env")
    assert tasks.source_status(settings, "hubspot") == (True, "credentials configured")
    enabled, why = tasks.source_status(settings, "salesforce")
    assert not enabled and "SALESFORCE_ACCESS_TOKEN" in why and "skipping" in why
    monkeypatch.setattr(tasks, "load_settings", lambda: settings)
    with pytest.raises(tasks.SourceNotConfigured, match="salesforce: no credentials"):
        tasks.plan_source("salesforce")


def test_sandbox_mode_enables_both(monkeypatch, tmp_path) -> None:
    for var in CRM_VARS:
        monkeypatch.delenv(var, raising=False)
    settings = load_settings(env_file=tmp_path / "none.env")
    assert all(tasks.source_status(settings, s)[0] for s in ("salesforce", "hubspot"))


def test_asset_uris(monkeypatch) -> None:
    monkeypatch.delenv("FUNNELHOUSE_ASSET_WAREHOUSE", raising=False)
    assert assets.mart_asset_uri("win_rates", assets.warehouse_authority("postgresql://u:pw@db.internal:6543/dw")) \
        == "postgres://db.internal:6543/dw/marts/win_rates"
    assert "pw" not in assets.warehouse_authority("postgresql://u:pw@db.internal:6543/dw")
    assert assets.warehouse_authority("") == assets.EMBEDDED_WAREHOUSE
    monkeypatch.setenv("FUNNELHOUSE_ASSET_WAREHOUSE", "warehouse:5432/funnelhouse")
    assert assets.mart_asset_uri("x") == "postgres://warehouse:5432/funnelhouse/marts/x"


def test_jsonable_and_flatten() -> None:
    from dataclasses import dataclass

    @dataclass
    class S:
        rows: int
        at: datetime
        path: Path

    out = tasks.jsonable([S(3, datetime(2026, 1, 1, tzinfo=UTC), Path("/x"))])
    assert out == [{"rows": 3, "at": "2026-01-01T00:00:00+00:00", "path": "/x"}]
    assert tasks.flatten_summaries([None, [{"a": 1}, None], {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert tasks.safe_name("manual__2026-01-01T00:00:00+00:00") == "manual__2026-01-01T00_00_00_00_00"


def test_fingerprint_tracks_content_not_mtime(tmp_path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1")
    first = project_fingerprint(tmp_path)
    model.touch()
    assert project_fingerprint(tmp_path) == first
    model.write_text("select 2")
    second = project_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "target").mkdir()  # dbt's own output must not invalidate the manifest
    (tmp_path / "target" / "run_results.json").write_text("{}")
    assert project_fingerprint(tmp_path) == second


def test_mart_models_from_manifest() -> None:
    manifest = {"nodes": {
        "model.funnelhouse.win_rates": {"resource_type": "model", "package_name": "funnelhouse", "name": "win_rates",
                                        "schema": "marts", "fqn": ["funnelhouse", "marts", "sales", "win_rates"],
                                        "config": {"materialized": "table"}},
        "model.funnelhouse.stg_x": {"resource_type": "model", "package_name": "funnelhouse", "name": "stg_x",
                                    "schema": "staging", "fqn": ["funnelhouse", "staging", "stg_x"],
                                    "config": {"materialized": "view"}},
        "test.funnelhouse.t": {"resource_type": "test", "package_name": "funnelhouse", "name": "t"},
    }}
    assert mart_models(manifest) == ["win_rates"]


def test_prune_keeps_recent_and_newest(tmp_path) -> None:
    import os
    import time

    from funnelhouse.orchestration.maintenance import prune_dirs

    now = time.time()
    for i, age_days in enumerate([1, 10, 40, 50, 60, 70]):
        d = tmp_path / f"run{i}"
        d.mkdir()
        (d / "index.html").write_text("x")
        os.utime(d, (now - age_days * 86400, now - age_days * 86400))
    (tmp_path / "latest").symlink_to("run5")
    removed = prune_dirs(tmp_path, retention_days=30, keep_latest=3, now=now)
    assert sorted(removed) == ["run3", "run4", "run5"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run0", "run1", "run2"]
    # with everything old, the newest three survive
    assert prune_dirs(tmp_path, retention_days=0, keep_latest=3, now=now + 10**7) == []


def test_prune_never_removes_the_reports_shared_vendor_folder(tmp_path, monkeypatch) -> None:
    import os
    import time

    from funnelhouse.orchestration.maintenance import prune_artifacts

    reports = tmp_path / "reports"
    for age_days, name in enumerate(("run4", "run3", "run2", "run1", "run0", "vendor"), start=100):
        (reports / name).mkdir(parents=True)
        old = time.time() - age_days * 86400  # the vendor folder is the oldest: written once
        os.utime(reports / name, (old, old))
    monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("FUNNELHOUSE_REPORTS_DIR", str(reports))
    out = prune_artifacts(data_docs_retention_days=30, reports_retention_days=30)
    assert sorted(out["reports_removed"]) == ["run0", "run1"]
    assert "vendor" not in out["reports_removed"] and (reports / "vendor").is_dir()
