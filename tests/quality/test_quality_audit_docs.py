"""Audit trail (append-only, one row per validation and per expectation), Data Docs per run
(offline, rendered in headless Chromium), the CLI, and the committed suites staying in sync."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

from expectations import assets
from expectations.render_check import find_chromium, render
from expectations.runner import validate
from expectations.suites import SUITES_DIR, all_suites, suite_json
from funnelhouse.core.warehouse_auth import with_credentials


def test_committed_suites_match_the_code() -> None:
    committed = {p.stem: p.read_text() for p in SUITES_DIR.glob("*.json")}
    expected = {s.name: suite_json(s) for s in all_suites()}
    assert committed.keys() == expected.keys(), "run `python -m expectations export` and commit"
    stale = [name for name in expected if committed[name] != expected[name]]
    assert stale == [], "run `python -m expectations export` and commit"
    for name, text in committed.items():
        for exp in json.loads(text)["expectations"]:
            assert exp["meta"]["severity"] in ("critical", "warning"), (name, exp["type"])
            assert exp["severity"] == exp["meta"]["severity"]


def test_audit_rows_are_appended_per_run_and_never_changed(clean_dsn: str, state_dir: Path) -> None:
    first = validate(clean_dsn, "marts", dag_run_id="manual__1", state_dir=state_dir, data_docs=False)
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.lead_scores set sales_ready_pct = 2 where person_id = 'p2'")
    second = validate(clean_dsn, "marts", run_id="manual__1", dag_run_id="manual__1", state_dir=state_dir,
                      data_docs=False)
    assert second.run_id != first.run_id
    assert second.run_id.startswith("manual__1")
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        runs = conn.execute("select run_id, count(*), bool_and(critical_success), sum(evaluated) "
                            "from audit.validation_runs group by run_id order by min(id)").fetchall()
        assert [(r[0], r[1], r[2]) for r in runs] == [
            (first.run_id, len(first.outcomes), True), (second.run_id, len(second.outcomes), False)]
        assert runs[1][3] == second.evaluated
        n_results = conn.execute("select count(*) from audit.expectation_results").fetchone()[0]
        assert n_results == first.evaluated + second.evaluated
        bad = conn.execute(
            """select suite, asset, expectation_type, column_name, severity, unexpected_count, unexpected_sample
               from audit.expectation_results where run_id = %s and not success""", (second.run_id,)).fetchall()
        assert bad == [("marts_lead_scores", "marts.lead_scores", "expect_column_values_to_be_between",
                        "sales_ready_pct", "critical", 1, [{"person_id": "p2", "sales_ready_pct": 2}])]
        dag = conn.execute("select distinct dag_run_id from audit.validation_runs").fetchall()
        assert dag == [("manual__1",)]
        for statement in ("update audit.validation_runs set success = true",
                          "delete from audit.expectation_results",
                          "truncate audit.validation_runs"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
        assert conn.execute("select count(*) from audit.expectation_results").fetchone()[0] == n_results


def test_each_validation_is_a_gx_checkpoint_whose_action_writes_the_audit(clean_dsn: str, state_dir: Path) -> None:
    summary = validate(clean_dsn, "marts", suites=["marts_sales"], state_dir=state_dir, data_docs=False)
    gx_dir = state_dir / "quality" / "runs" / summary.run_id / "gx"
    checkpoints = {p.stem: json.loads(p.read_text()) for p in (gx_dir / "checkpoints").glob("*.json")}
    assert sorted(checkpoints) == sorted(f"{o.suite}@{o.asset}" for o in summary.outcomes)
    for checkpoint in checkpoints.values():
        assert [a["type"] for a in checkpoint["actions"]] == ["funnelhouse_audit"]
    # GX ran each validation through its checkpoint (the stored result names it)
    ids = {c["id"] for c in checkpoints.values()}
    results = list((gx_dir / "uncommitted" / "validations").rglob("*.json"))
    assert len(results) == len(summary.outcomes)
    assert {json.loads(p.read_text())["meta"]["checkpoint_id"] for p in results} == ids
    with psycopg.connect(clean_dsn) as conn:
        rows = conn.execute("""select r.asset, r.evaluated, count(e.id) from audit.validation_runs r
                               join audit.expectation_results e using (run_id, suite, asset)
                               where run_id = %s group by r.asset, r.evaluated""", (summary.run_id,)).fetchall()
        # one transaction per validation, committed as it ends (not one for the whole run)
        stamps = conn.execute("select count(distinct recorded_at) from audit.validation_runs where run_id = %s",
                              (summary.run_id,)).fetchone()[0]
    assert set(rows) == {(o.asset, o.evaluated, o.evaluated) for o in summary.outcomes}
    assert stamps == len(summary.outcomes) > 1


def test_data_docs_are_built_per_run_and_offline(clean_dsn: str, state_dir: Path) -> None:
    assets.check_installed()  # fails with "run `make assets`" when the npm packages are missing
    first = validate(clean_dsn, "raw", state_dir=state_dir)
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.lead_scores set sales_ready_pct = 2 where person_id = 'p2'")
    second = validate(clean_dsn, "marts", state_dir=state_dir)
    docs_root = state_dir / "quality" / "data_docs"
    for summary in (first, second):
        assert summary.data_docs_dir == docs_root / "runs" / summary.run_id
        assert summary.data_docs_index.is_file()
        pages = list((summary.data_docs_dir / "validations").rglob("*.html"))
        assert len(pages) == len([o for o in summary.outcomes if o.status == "validated"])
        assert json.loads((summary.data_docs_dir / "run.json").read_text())["run_id"] == summary.run_id
    # each validation page starts with the Funnelhouse panel; a failure names the offending ids
    [failed_page] = (second.data_docs_dir / "validations" / "marts_lead_scores").rglob("*.html")
    failed_html = failed_page.read_text()
    assert "funnelhouse-panel alert-danger" in failed_html.replace("alert alert-danger funnelhouse-panel",
                                                                  "funnelhouse-panel alert-danger")
    assert "person_id=p2, sales_ready_pct=2" in failed_html and "sales_ready_pct is a rate in [0, 1]" in failed_html
    [ok_page] = (second.data_docs_dir / "validations" / "marts_win_rates").rglob("*.html")
    assert "All expectations passed" in ok_page.read_text()
    # the latest folder is the most recent run; the runs index lists both
    latest = docs_root / "latest"
    assert (latest / "run.json").is_file()
    assert json.loads((latest / "run.json").read_text())["run_id"] == second.run_id
    index = (docs_root / "index.html").read_text()
    assert first.run_id in index and second.run_id in index
    # every page loads its assets locally, and they exist
    for page in list(docs_root.rglob("*.html")):
        text = page.read_text()
        assert assets.remote_loads(text) == [], page
        for ref in _local_refs(text):
            assert (page.parent / ref).resolve().exists(), f"{page}: {ref} missing"
    with psycopg.connect(clean_dsn) as conn:
        paths = {r[0] for r in conn.execute("select distinct data_docs_path from audit.validation_runs")}
    assert paths == {str(first.data_docs_index), str(second.data_docs_index)}


def _local_refs(text: str) -> list[str]:
    import re

    refs = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"#]+)"', text)
    return [r for r in refs if not urlparse(r).scheme]


def test_secrets_never_reach_reports_or_audit(clean_dsn: str, state_dir: Path) -> None:
    # The embedded warehouse's DSN carries its real (generated) password; a trust-auth external test
    # server accepts any, so a made-up one stands in there.
    parsed = urlparse(clean_dsn)
    secret = parsed.password or "S3cretPassw0rd"
    secret_dsn = with_credentials(clean_dsn, parsed.username or "postgres", secret)
    validate(secret_dsn, "raw", state_dir=state_dir, suites=["raw_meta"])
    for path in state_dir.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".yml", ".yaml", ".txt"):
            assert secret not in path.read_text(errors="replace"), path
    with psycopg.connect(clean_dsn) as conn:
        dump = conn.execute("select string_agg(t::text, ' ') from audit.expectation_results t").fetchone()[0]
    assert secret not in dump


def test_cli_runs_and_lists_history(clean_dsn: str, state_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from expectations.cli import main

    monkeypatch.setenv("WAREHOUSE_DSN", clean_dsn)
    monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(state_dir))
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.win_rates set win_rate = 1.2")
    # exit codes like `dbt test` (#17): 1 on a critical failure by default, 0 with --no-fail-on-critical
    assert main(["--layer", "marts", "--suite", "marts_sales", "--no-docs"]) == 1
    out = capsys.readouterr().out
    assert "marts.win_rates" in out and "FAILED" in out
    assert "CRIT suite marts_win_rates on marts.win_rates: expect_column_values_to_be_between column win_rate" in out
    assert main(["--layer", "marts", "--suite", "marts_sales", "--no-docs", "--no-fail-on-critical"]) == 0
    capsys.readouterr()
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("run_id")
    assert len([ln for ln in lines[2:] if "FAILED" in ln]) == 2


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (Debian: apt-get install chromium); "
                    "the lead's CI installs it via `make system-deps`")
def test_data_docs_render_offline_in_headless_chromium(clean_dsn: str, state_dir: Path, tmp_path: Path) -> None:
    assets.check_installed()  # fails with "run `make assets`" when the npm packages are missing
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        conn.execute("update marts.fct_opportunities set probability = 1.5 where opportunity_id = 'o2'")
    summary = validate(clean_dsn, "marts", suites=["marts_sales", "marts_funnel"], state_dir=state_dir)
    page = next(p for p in (summary.data_docs_latest / "validations").rglob("*.html")
                if "fct_opportunities" in p.name)
    report = render(page, screenshot=tmp_path / "validation.png")
    assert report.failed == [] and report.http_errors == [], report.failed
    assert report.remote_requests == []
    assert report.styled, report.page
    assert report.page["fontAwesome"] and "Font Awesome" in report.page["fontAwesome"]
    assert report.charts >= 1, report.page          # the mix-drift (KL divergence) chart drew
    assert report.page["bootstrapTable"] is True
    assert len(report.requests) > 10               # it did load its scripts and styles (locally)
    assert (tmp_path / "validation.png").stat().st_size > 20_000
    index = render(summary.data_docs_latest / "index.html")
    assert index.ok, (index.failed, index.remote_requests, index.page)
    runs_index = render(state_dir / "quality" / "data_docs" / "index.html")
    assert runs_index.failed == [] and runs_index.remote_requests == []


def test_audit_is_written_even_when_data_docs_fail(clean_dsn: str, state_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from expectations import docs

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(docs, "publish", broken)
    summary = validate(clean_dsn, "marts", suites=["marts_value"], state_dir=state_dir)
    assert summary.data_docs_note == "Data Docs not built: OSError: disk full"
    assert summary.data_docs_dir is None
    with psycopg.connect(clean_dsn) as conn:
        n = conn.execute("select count(*) from audit.validation_runs where run_id = %s", (summary.run_id,)).fetchone()
    assert n[0] == len(summary.outcomes) == 3
