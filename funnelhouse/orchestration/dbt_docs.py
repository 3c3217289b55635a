"""The dbt docs site (models, columns, lineage, sources, the semantic layer's time spine), built in each
DAG run into `<state>/dbt_docs/index.html` (StatePaths.dbt_docs): `dbt docs generate --static` writes
one self-contained HTML file (manifest and catalog inlined, no CDN), so it opens offline from the file
system like the Data Docs. The project disables dbt's anonymous usage tracking, so the page loads no tracker either."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("funnelhouse.orchestration")


def build_docs_site(dsn: str, as_of: str | None, root: Path) -> dict[str, Any]:
    """`dbt docs generate --static` (the catalog reads the warehouse), published as `root/index.html`."""
    from funnelhouse.dbt import run_dbt

    target = root / "target"
    result = run_dbt(["docs", "generate", "--static"], dsn, vars={"as_of": as_of} if as_of else None,
                     target_dir=target)
    page = target / "static_index.html"
    if not result.success or not page.exists():
        raise RuntimeError(f"dbt docs generate failed (no {page})")
    index = root / "index.html"
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / ".index.html.tmp"
    tmp.write_bytes(page.read_bytes())
    os.replace(tmp, index)  # a reader never sees half a page
    log.info("dbt docs site: %s", index)
    return {"dbt_docs": str(index), "bytes": index.stat().st_size}
