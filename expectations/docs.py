"""Data Docs: one offline GX site per validation run, a stable `latest/` copy and a runs index.

    <state_dir>/quality/data_docs/
        index.html            every run, newest first, with its outcome and a link to its site;
                              a banner naming the run BI reads now (publications.json)
        publications.json     the publication log (audit.publications), written by the app after each
                              publish: which validation run's marts are live, which were withheld
        latest/index.html     the site of the most recent run (a stable URL for auditors)
        runs/<run_id>/        the site of each run, kept (index.html, validations/, expectations/, run.json)
        vendor/               Bootstrap, jQuery, Font Awesome, Vega... from npm (shared by all sites)
"""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from expectations import assets

if TYPE_CHECKING:
    from expectations.results import ValidationSummary


def publish(summary: ValidationSummary, context, docs_root: Path) -> None:
    """Build this run's site from the validation results stored in the run's GX context (whose
    site writes into runs/<run_id>/, expectations/context.py); update latest/ and the index."""
    from expectations.context import SITE_NAME

    site_dir = docs_root / "runs" / summary.run_id
    context.build_data_docs(site_names=[SITE_NAME])
    _prune_static(site_dir)
    try:
        assets.make_offline(site_dir, docs_root / "vendor")
    except assets.AssetsMissing as exc:
        summary.data_docs_note = str(exc)
    annotate_pages(site_dir, summary)
    (site_dir / "run.json").write_text(json.dumps(summary.to_dict() | {"data_docs": str(site_dir / "index.html")},
                                                  indent=2))
    summary.data_docs_dir = site_dir
    summary.data_docs_latest = _update_latest(site_dir, docs_root)
    write_runs_index(docs_root)


_ANCHOR = '<div id="section-1" '


def annotate_pages(site_dir: Path, summary: ValidationSummary) -> int:
    """Put a Funnelhouse panel at the top of each validation page: severity, outcome, and for each
    failed expectation the ids of the offending rows (GX itself shows only sample values)."""
    done = 0
    for outcome in summary.outcomes:
        if outcome.status != "validated":
            continue
        for page in (site_dir / "validations" / outcome.suite).rglob(f"warehouse-{outcome.asset}.html"):
            text = page.read_text(encoding="utf-8")
            if _ANCHOR in text and "funnelhouse-panel" not in text:
                page.write_text(text.replace(_ANCHOR, _panel(outcome) + _ANCHOR, 1), encoding="utf-8")
                done += 1
    return done


def _panel(outcome) -> str:
    failed = [r for r in outcome.results if not r.success]
    kind = "danger" if outcome.failed_critical else "warning" if failed else "success"
    head = (f"<strong>{outcome.failed_critical} critical</strong> and <strong>{outcome.failed_warning} "
            f"warning</strong> expectation(s) failed" if failed else "All expectations passed")
    items = []
    for r in sorted(failed, key=lambda r: r.severity):
        sample = "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in r.unexpected_sample[:10])
        count = f"{r.unexpected_count} unexpected" if r.unexpected_count is not None else ""
        error = f" — error: {html.escape(r.exception[:300])}" if r.exception else ""
        items.append(
            f"<li><span class='badge badge-{'danger' if r.severity == 'critical' else 'warning'}'>"
            f"{r.severity}</span> {html.escape(_plain(r.description) or r.expectation_type)} "
            f"<code>{html.escape(r.expectation_type)}</code>"
            f"{' column <code>' + html.escape(r.column) + '</code>' if r.column else ''} {count}{error}"
            f"{'<br><small>offending rows: ' + html.escape(sample) + '</small>' if sample else ''}</li>"
        )
    body = f"<ul class='mb-0'>{''.join(items)}</ul>" if items else ""
    return (f"<div class='alert alert-{kind} funnelhouse-panel mx-3'><div>Funnelhouse run "
            f"<code>{html.escape(outcome.suite)}</code> on <code>{html.escape(outcome.asset)}</code>: "
            f"{head}. A critical failure stops the pipeline before publishing; warnings are reported."
            f"</div>{body}</div>\n")


def _plain(description: str | None) -> str:
    """The description without its leading [severity] tag (the badge shows it)."""
    text = description or ""
    return text.split("] ", 1)[1] if text.startswith("[") and "] " in text else text


def _prune_static(site_dir: Path) -> None:
    """Drop the GX marketing images no page of the site uses (3.4 MB per run otherwise)."""
    text = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in list(site_dir.rglob("*.html")) + list(site_dir.rglob("*.css")))
    for image in (site_dir / "static" / "images").glob("*"):
        if image.is_file() and image.name not in text:
            image.unlink()


def _update_latest(site_dir: Path, docs_root: Path) -> Path:
    latest = docs_root / "latest"
    tmp = docs_root / f".latest-{site_dir.name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(site_dir, tmp)
    vendor = docs_root / "vendor"
    for page in tmp.rglob("*.html"):
        rel = page.relative_to(tmp)
        old = Path(os.path.relpath(vendor, (site_dir / rel).parent)).as_posix()
        new = Path(os.path.relpath(vendor, (latest / rel).parent)).as_posix()
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace(f'"{old}/', f'"{new}/'), encoding="utf-8")
    old_latest = docs_root / f".latest-old-{site_dir.name}"
    if latest.exists():
        latest.rename(old_latest)
    tmp.rename(latest)
    if old_latest.exists():
        shutil.rmtree(old_latest)
    return latest


PUBLICATIONS_FILE = "publications.json"


def write_publications(docs_root: Path, publications: list[dict]) -> Path:
    """Record which run BI reads (the app passes audit.publications rows, newest first: run_id,
    dag_run_id, decision, reason, gx_run_ids, recorded_at) and re-render the index with it."""
    docs_root.mkdir(parents=True, exist_ok=True)
    target = docs_root / PUBLICATIONS_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(publications, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, target)
    write_runs_index(docs_root)
    return target


def _publications(docs_root: Path) -> list[dict]:
    try:
        found = json.loads((docs_root / PUBLICATIONS_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return []
    return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []


def _publication_cells(publications: list[dict]) -> tuple[str, dict[str, str]]:
    """The live-run banner, and per validation run id the badge of the publication it checked."""
    live = next((p for p in publications if p.get("decision") == "published"), None)
    if live is None:
        banner = ("<div class='alert alert-secondary' id='live-run'>No run has been published yet: "
                  "BI (<code>bi_reader</code>) has no marts to read.</div>") if publications else ""
    else:
        checked = ", ".join(html.escape(str(g)) for g in live.get("gx_run_ids") or []) or "none recorded"
        banner = (f"<div class='alert alert-info' id='live-run'>BI (<code>bi_reader</code>) reads the marts of run "
                  f"<strong>{html.escape(str(live.get('run_id')))}</strong>, published "
                  f"{html.escape(str(live.get('recorded_at') or '')[:19])} UTC and checked by validation run(s) "
                  f"{checked}. Runs withheld since then changed nothing BI reads.</div>")
    badges: dict[str, str] = {}
    for p in publications:  # newest first: a validation run takes the newest publication that names it
        run = html.escape(str(p.get("run_id")))
        if p is live:
            badge = f'<span class="badge badge-primary">live: {run}</span>'
        elif p.get("decision") == "published":
            badge = f'<span class="badge badge-secondary">published {run}, replaced</span>'
        else:
            reason = html.escape(str(p.get("reason") or "")[:200])
            badge = f'<span class="badge badge-warning" title="{reason}">withheld {run}</span>'
        for gx in p.get("gx_run_ids") or []:
            badges.setdefault(str(gx), badge)
    return banner, badges


def write_runs_index(docs_root: Path) -> Path:
    """docs_root/index.html: one line per run with a link to its site, and which run BI reads."""
    banner, publication = _publication_cells(_publications(docs_root))
    runs = []
    for meta in (docs_root / "runs").glob("*/run.json"):
        try:
            runs.append(json.loads(meta.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    runs.sort(key=lambda r: r.get("started_at", ""), reverse=True)
    rows = []
    for r in runs:
        ok = r.get("success")
        badge = '<span class="badge badge-success">passed</span>' if ok else \
            '<span class="badge badge-danger">critical failure</span>'
        link = f"runs/{html.escape(r['run_id'])}/index.html"
        rows.append(
            "<tr>"
            f"<td><a href=\"{link}\">{html.escape(r['run_id'])}</a></td>"
            f"<td>{html.escape(str(r.get('dag_run_id') or ''))}</td>"
            f"<td>{html.escape(r.get('layer', ''))}</td>"
            f"<td>{html.escape(r.get('started_at', '')[:19])}</td>"
            f"<td>{badge}</td><td>{r.get('evaluated', 0)}</td><td>{r.get('critical_failures', 0)}</td>"
            f"<td>{r.get('warnings', 0)}</td><td>{len(r.get('not_built') or [])}</td>"
            f"<td>{publication.get(r['run_id'], '')}</td>"
            "</tr>"
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Funnelhouse data quality runs</title>
<link rel="stylesheet" href="vendor/bootstrap/dist/css/bootstrap.min.css"></head>
<body class="p-4"><h1 class="h3">Funnelhouse data quality: validation runs</h1>
<p>Newest first. <a href="latest/index.html">Latest run</a>. Each run's full report (Great Expectations
Data Docs) is kept under <code>runs/&lt;run_id&gt;/</code>; the same results are in the warehouse
schema <code>audit</code>.</p>
{banner}
<table class="table table-sm table-striped"><thead><tr><th>run</th><th>DAG run</th><th>layer</th>
<th>started (UTC)</th><th>outcome</th><th>expectations</th><th>critical failures</th><th>warnings</th>
<th>not built</th><th>publication</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    out = docs_root / "index.html"
    out.write_text(page, encoding="utf-8")
    return out
