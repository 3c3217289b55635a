"""Build the run report: collect every section from the warehouse, render the page, write it with
its facts.json; plotly.js is shared by all reports through the vendor folder (vendor.py).

    <state>/reports/
        vendor/plotly-<version>.min.js   written once, loaded by every report
        <run>/index.html, facts.json     one folder per run (`latest` links to the newest)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from funnelhouse.core.settings import load_settings
from funnelhouse.report import sections, vendor
from funnelhouse.report.page import ReportData, render
from funnelhouse.report.queries import Unavailable
from funnelhouse.report.sections import Section

__all__ = ["ReportData", "Section", "Unavailable", "build_report", "collect"]


def collect(dsn: str, out_dir: Path, data_docs: str | None = None) -> ReportData:
    data = ReportData(generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), database="")
    facts = data.facts
    builders: list[tuple[str, str, Callable[[psycopg.Connection], Section]]] = [
        ("publication", "Publication: what BI reads", lambda c: sections.publication(c, facts)),
        ("funnel", "Funnel by stage", lambda c: sections.funnel(c, facts)),
        ("conversion", "Conversion by channel", lambda c: sections.conversion(c, facts)),
        ("velocity", "Velocity: days between stages", lambda c: sections.velocity(c, facts)),
        ("attribution", "Attribution by campaign, per model", lambda c: sections.attribution(c, facts)),
        ("win_rate", "Win rate trend", lambda c: sections.win_rate(c, facts)),
        ("pipeline_history", "Pipeline waterfall", lambda c: sections.pipeline_history(c, facts)),
        ("quality", "Data quality", lambda c: sections.quality(c, facts, out_dir, data_docs)),
        ("extraction", "Extraction", lambda c: sections.extraction(c, facts)),
    ]
    with psycopg.connect(dsn, autocommit=True) as conn:
        data.database = conn.execute("select current_database()").fetchone()[0]
        for key, title, build in builders:
            try:
                data.sections.append(build(conn))
            except Unavailable as exc:
                data.sections.append(Section(key, title, "", error=str(exc)))
            except psycopg.Error as exc:
                # A mart whose columns drifted from docs/metrics.md: say which, keep the rest of the report.
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                data.sections.append(Section(key, title, "", error=f"query failed: {first}"))
    return data


def build_report(dsn: str, out_dir: Path | str, data_docs: str | None = None,
                 title: str = "Funnelhouse run report", vendor_dir: Path | str | None = None) -> Path:
    """Write `out_dir/index.html` (and facts.json) and return its path. plotly.js goes to
    `vendor_dir`, by default the `vendor/` folder beside out_dir (so `<state>/reports/vendor/` for
    the reports under `<state>/reports/<run>/`), and is written only when that version is missing."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if data_docs is None:
        latest = load_settings().paths.latest_data_docs
        data_docs = str(latest) if latest.exists() else None
    data = collect(dsn, out_dir, data_docs)
    plotly = vendor.plotly_js(Path(vendor_dir) if vendor_dir else out_dir.parent / vendor.VENDOR_DIR_NAME)
    target = out_dir / "index.html"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(render(data, title, vendor.relative_url(plotly, out_dir)), encoding="utf-8")
    os.replace(tmp, target)  # readers never see a half-written report
    (out_dir / "facts.json").write_text(json.dumps(data.facts, indent=2, default=str))
    return target
