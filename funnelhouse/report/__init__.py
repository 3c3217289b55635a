"""The run report: one static HTML file with embedded Plotly charts, readable offline.

`build_report(dsn, out_dir)` reads the marts, the audit schema (Great Expectations results) and the
raw layer's run log, and writes `out_dir/index.html`. plotly.js is inlined once in the page (no CDN),
so the file opens on an air-gapped laptop or as a CI artifact. A section whose table does not exist
yet (a partial deployment, a failed run) says so instead of failing the whole report.
"""

from __future__ import annotations

from funnelhouse.report.build import build_report

__all__ = ["build_report"]
