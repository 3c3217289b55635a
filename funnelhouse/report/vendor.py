"""plotly.js, written once into a vendor folder shared by every report (`<state>/reports/vendor/`),
instead of inlined into each hourly report (4.9 MB each). The file name carries the plotly version,
so a report always loads the library it was drawn with, and an upgrade adds a file beside the old one."""

from __future__ import annotations

import os
from pathlib import Path

VENDOR_DIR_NAME = "vendor"


def plotly_js(vendor_dir: Path) -> Path:
    """The path of this plotly version's plotly.min.js in vendor_dir, written there if missing."""
    import plotly
    from plotly.offline import get_plotlyjs

    target = vendor_dir / f"plotly-{plotly.__version__}.min.js"
    if not target.is_file():
        vendor_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(get_plotlyjs(), encoding="utf-8")
        os.replace(tmp, target)  # parallel report builds never see a half-written library
    return target


def relative_url(target: Path, page_dir: Path) -> str:
    """How a page in page_dir refers to target: relative, so the reports folder can be moved or
    opened from file://; an absolute file URL where no relative path exists (another drive)."""
    try:
        return Path(os.path.relpath(target.absolute(), page_dir.absolute())).as_posix()
    except ValueError:
        return target.absolute().as_uri()
