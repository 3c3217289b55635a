"""The run report: built from a real PostgreSQL, self-contained, and it renders in headless Chromium
with every chart drawn and no console error."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.report import build_report
from tests.support.chromium import chromium_binary, console_errors, render
from tests.support.marts import seed

SCREENSHOT_DIR = PROJECT_ROOT / ".state" / "screenshots"


@pytest.fixture(scope="module")
def seeded(make_database) -> str:
    dsn = make_database("report")
    seed(dsn)
    return dsn


def test_report_is_static_and_has_every_section(seeded: str, tmp_path: Path) -> None:
    page = build_report(seeded, tmp_path / "r", data_docs=str(tmp_path / "docs" / "index.html"))
    text = page.read_text()
    # plotly.js is inlined, nothing is fetched from a CDN or any other host (plotly.js itself names
    # a topojson CDN, used only by geo charts, which the report has none of).
    assert not re.search(r"<script[^>]+src=", text)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert "cdn.plot.ly" not in text.replace('dflt:"https://cdn.plot.ly/un/"', "")
    for section in ("funnel", "conversion", "velocity", "attribution", "win_rate", "quality", "extraction"):
        assert f"id='{section}'" in text
    assert "Not available" not in text
    facts = json.loads((page.parent / "facts.json").read_text())
    assert facts["funnel"] == {"lead": 1000, "mql": 448, "sql": 200, "opportunity": 88, "customer": 40}
    # Every model distributes the same revenue: the side-by-side bars are comparable.
    totals = set(round(v) for v in facts["attribution_revenue_by_model"].values())
    assert totals == {300000}
    assert facts["quality"] == {"passed": 31, "critical_failed": 0, "warnings": 1, "suites": 4, "not_built": 0}
    assert facts["raw_rows"]["salesforce.lead"] == 40
    assert "../docs/index.html" in text  # Data Docs linked relatively, so the folder can be moved


def test_missing_marts_are_reported_not_fatal(make_database, tmp_path: Path) -> None:
    page = build_report(make_database("report_empty"), tmp_path, data_docs="")
    text = page.read_text()
    assert text.count("Not available") == 7
    assert "marts.funnel_stage_volume does not exist yet" in text


@pytest.mark.skipif(not chromium_binary(), reason="chromium not installed (make system-deps)")
def test_report_renders_in_chromium(seeded: str, tmp_path: Path) -> None:
    page = build_report(seeded, tmp_path / "r", data_docs="")
    shot = tmp_path / "report.png"
    result = render(page, screenshot=shot)
    assert console_errors(result.console) == [], result.console
    # Plotly draws each chart as an SVG inside .plot-container once its script ran.
    assert result.dom.count('class="main-svg"') >= 7 * 2, "charts did not render"
    assert shot.stat().st_size > 50_000
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOT_DIR / "report_seeded.png")
