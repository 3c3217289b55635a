"""What the weekly `funnelhouse_maintenance` DAG does: forced hard-delete reconciliation, a full
refresh of incremental models (and everything built on them), and pruning of old per-run artifacts
(Data Docs, run reports) beyond the retention setting."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from funnelhouse.core.paths import dbt_project_dir
from funnelhouse.core.settings import load_settings
from funnelhouse.core.warehouse import ensure_running
from funnelhouse.dbt import run_dbt
from funnelhouse.orchestration.bi import grant_bi_access
from funnelhouse.orchestration.tasks import extract_object

log = logging.getLogger("funnelhouse.maintenance")


def reconcile_object(source: str, object_name: str) -> dict[str, Any]:
    """One incremental extraction with the id reconciliation forced on. The hourly runs may reconcile
    less often (EXTRACT_RECONCILE_HOURS, since listing every id costs API calls); this makes sure hard
    deletes are caught at least weekly."""
    return extract_object(source, object_name, reconcile_now=True)


def full_refresh_incremental(as_of: str | None = None) -> dict[str, Any]:
    """`dbt build --full-refresh` of every incremental model and everything downstream of it, so drift
    that incremental logic cannot see (late-arriving history, changed seeds) is rebuilt from raw."""
    dsn = ensure_running(load_settings())
    result = run_dbt(["build", "--select", "config.materialized:incremental+", "--full-refresh"], dsn,
                     vars={"as_of": as_of} if as_of else None, project_dir=dbt_project_dir())
    summary = {"success": result.success, "nodes": len(result.results),
               "failures": [f"{r['unique_id']}: {r['status']} {r['message']}" for r in result.failures]}
    if not result.success:
        raise RuntimeError("full refresh failed: " + "; ".join(summary["failures"][:10]))
    log.info("full refresh: %d nodes rebuilt", summary["nodes"])
    return summary


def prune_dirs(root: Path, retention_days: int, keep_latest: int = 3, now: float | None = None,
               keep: frozenset[str] = frozenset()) -> list[str]:
    """Delete the per-run sub-folders of `root` older than the retention, always keeping the newest
    `keep_latest` (so a paused deployment never loses its last reports) and the folders named in
    `keep`, and never following symlinks (`latest` points into the folder)."""
    if not root.is_dir():
        return []
    now = now if now is not None else time.time()
    runs = sorted((p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in keep),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for path in runs[keep_latest:]:
        if now - path.stat().st_mtime > retention_days * 86400:
            shutil.rmtree(path)
            removed.append(path.name)
    return removed


def prune_artifacts(data_docs_retention_days: int, reports_retention_days: int) -> dict[str, Any]:
    settings = load_settings()
    docs_root = settings.paths.data_docs
    out: dict[str, Any] = {"data_docs_root": str(docs_root)}
    out["data_docs_removed"] = prune_dirs(docs_root / "runs", data_docs_retention_days)
    # The GX working copies of the same validation runs (results JSON behind each site).
    out["quality_runs_removed"] = prune_dirs(settings.paths.quality_runs, data_docs_retention_days)
    if out["data_docs_removed"]:
        try:
            from expectations.docs import write_runs_index

            write_runs_index(docs_root)  # the auditors' list of runs must not link to deleted sites
        except ImportError:
            pass
    # reports/vendor/ holds the plotly.js every kept report loads: written once, so always old.
    out["reports_removed"] = prune_dirs(settings.paths.reports, reports_retention_days, keep=frozenset({"vendor"}))
    log.info("pruned %d Data Docs runs and %d reports", len(out["data_docs_removed"]), len(out["reports_removed"]))
    return out


def grant_bi() -> dict[str, Any]:
    """Re-grant BI read access after the full refresh recreated the marts."""
    return grant_bi_access(ensure_running(load_settings()))
