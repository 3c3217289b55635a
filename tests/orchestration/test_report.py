"""The run report: built from a real PostgreSQL, self-contained, and it renders in headless Chromium
with every chart drawn and no console error."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import plotly
import pytest
from plotly.offline import get_plotlyjs

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
    # plotly.js is the only script the page loads, from the shared vendor folder by a relative path;
    # nothing is fetched from a CDN or any other host (plotly.js itself names a topojson CDN, used
    # only by geo charts, which the report has none of).
    assert re.findall(r"<script[^>]+src=[\"']([^\"']+)", text) == [f"../vendor/plotly-{plotly.__version__}.min.js"]
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert "cdn.plot.ly" not in text.replace('dflt:"https://cdn.plot.ly/un/"', "")
    for section in ("publication", "funnel", "conversion", "velocity", "attribution", "win_rate", "pipeline_history",
                    "quality", "extraction"):
        assert f"id='{section}'" in text
    assert "Not available" not in text
    facts = json.loads((page.parent / "facts.json").read_text())
    assert facts["funnel"] == {"lead": 1000, "mql": 448, "sql": 200, "opportunity": 88, "customer": 40}
    # Every model distributes the same revenue: the side-by-side bars are comparable.
    totals = set(round(v) for v in facts["attribution_revenue_by_model"].values())
    assert totals == {300000}
    assert facts["quality"] == {"passed": 31, "critical_failed": 0, "warnings": 1, "suites": 4, "not_built": 0}
    assert facts["raw_rows"]["salesforce.lead"] == 40
    assert facts["waterfall_weeks"] == 26  # the latest 26 weeks of marts.pipeline_waterfall
    assert facts["publication"]["live_run_id"] == "r1"  # what BI reads, from audit.publications
    assert "../docs/index.html" in text  # Data Docs linked relatively, so the folder can be moved
    # the latest sync run of each object, read from the columns raw_meta.sync_runs really has
    # (sync_runs names the API object `Lead`, the raw table is `lead`)
    assert facts["sync_runs"] == 3
    assert "<td>lead</td><td>40</td><td>40</td><td>40</td><td>1</td><td>2</td><td>0</td><td>0.500</td>" \
           "<td>success</td><td></td>" in text


def test_plotly_is_written_once_and_shared_by_every_report(seeded: str, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    pages = [build_report(seeded, reports / run, data_docs="") for run in ("run1", "run2")]
    [library] = (reports / "vendor").iterdir()
    assert library.name == f"plotly-{plotly.__version__}.min.js"
    assert library.read_text() == get_plotlyjs()
    written = library.stat().st_mtime_ns
    build_report(seeded, reports / "run3", data_docs="")
    assert library.stat().st_mtime_ns == written  # not rewritten by later reports
    for page in pages:
        text = page.read_text()
        assert f'src="../vendor/{library.name}"' in text
        assert (page.parent / "../vendor" / library.name).resolve() == library.resolve()
        # the library is not inlined: the page is its charts' data and layout, not 4.9 MB of plotly.js
        assert len(text) < 200_000, len(text)
        assert get_plotlyjs()[:2000] not in text
    # elsewhere (e.g. `funnelhouse report --out DIR`) the vendor folder can be named
    own = build_report(seeded, tmp_path / "elsewhere" / "r", data_docs="", vendor_dir=tmp_path / "v")
    assert (tmp_path / "v" / library.name).is_file()
    assert f'src="../../v/{library.name}"' in own.read_text()


def test_missing_marts_are_reported_not_fatal(make_database, tmp_path: Path) -> None:
    page = build_report(make_database("report_empty"), tmp_path, data_docs="")
    text = page.read_text()
    assert text.count("Not available") == 9  # every section, the publication log included
    assert "marts.funnel_stage_volume does not exist yet" in text
    assert "audit.publications does not exist yet" in text


@pytest.mark.skipif(not chromium_binary(), reason="chromium not installed (make system-deps)")
def test_report_renders_in_chromium(seeded: str, tmp_path: Path) -> None:
    # opened the way a user does: the `latest` link of a reports folder, from file://, offline
    page = build_report(seeded, tmp_path / "reports" / "run1", data_docs="")
    (tmp_path / "reports" / "latest").symlink_to("run1")
    shot = tmp_path / "report.png"
    result = render(tmp_path / "reports" / "latest" / page.name, screenshot=shot)
    assert console_errors(result.console) == [], result.console
    # Plotly draws each chart as an SVG inside .plot-container once its script ran.
    assert result.dom.count('class="main-svg"') >= 7 * 2, "charts did not render"
    assert shot.stat().st_size > 50_000
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOT_DIR / "report_seeded.png")
