"""The run report: one static HTML page per run with Plotly charts, readable offline.

`build_report(dsn, out_dir)` reads the marts, the audit schema (Great Expectations results) and the
raw layer's run log, and writes `out_dir/index.html`: queries.py (SQL), charts.py (figures),
sections.py (section layout and facts), page.py + templates/report.html.j2 (Jinja2, autoescaped).
plotly.js is not inlined: it is written once into the shared `vendor/` folder beside the run
folders (vendor.py) and loaded by a relative path, so the page opens on an air-gapped laptop or
from file:// as long as the reports folder is kept whole. A section whose table does not exist yet
(a partial deployment, a failed run) says so instead of failing the whole report.
"""

from __future__ import annotations

from funnelhouse.report.build import build_report

__all__ = ["build_report"]
