"""Queries and charts of the run report (see the package docstring)."""

from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from funnelhouse.core.settings import load_settings

STAGES = ["lead", "mql", "sql", "opportunity", "customer"]
MODELS = ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay"]
# A qualitative palette that stays readable in print and for common colour-vision deficiencies.
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d"]


class Unavailable(Exception):
    """A section's source table is missing or empty; the message says which."""


@dataclass
class Section:
    key: str
    title: str
    intro: str
    figure_html: str = ""
    table_html: str = ""
    note: str = ""
    error: str = ""


@dataclass
class ReportData:
    """What the report knows; exposed so tests can check the numbers behind each chart."""

    generated_at: str
    database: str
    sections: list[Section] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def _exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (f"{schema}.{table}",)).fetchone()[0]


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema=%s and table_name=%s "
        "order by ordinal_position", (schema, table))]


def _require(conn: psycopg.Connection, schema: str, table: str) -> None:
    if not _exists(conn, schema, table):
        raise Unavailable(f"{schema}.{table} does not exist yet (has the pipeline built it?)")


def _rows(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _fig_html(fig, height: int = 420) -> str:
    # plotly.js is inlined once in <head>; each figure only carries its data and layout.
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 40, "b": 60},
                      font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13},
                      colorway=PALETTE, height=height)
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})


def _table(headers: list[str], rows: list[list[Any]], max_rows: int = 50) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
        if isinstance(v, datetime):
            return v.strftime("%Y-%m-%d %H:%M")
        return html.escape("" if v is None else str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows[:max_rows])
    more = f"<p class='muted'>{len(rows) - max_rows} more rows not shown.</p>" if len(rows) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


# ---------------------------------------------------------------------------------------------- sections


def funnel_section(conn: psycopg.Connection, facts: dict) -> Section:
    import plotly.graph_objects as go

    s = Section("funnel", "Funnel by stage",
                "People who ever entered each canonical stage (first entries, both CRMs merged). "
                "Inferred entries are back-filled skipped stages (docs/metrics.md §1).")
    _require(conn, "marts", "funnel_stage_volume")
    rows = _rows(conn, "select stage, sum(entered_count), sum(entered_inferred_count) "
                       "from marts.funnel_stage_volume group by stage")
    by_stage = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}
    if not by_stage:
        raise Unavailable("marts.funnel_stage_volume is empty")
    stages = [st for st in STAGES if st in by_stage] + sorted(set(by_stage) - set(STAGES))
    counts = [by_stage[st][0] for st in stages]
    facts["funnel"] = dict(zip(stages, counts, strict=True))
    fig = go.Figure(go.Funnel(y=stages, x=counts, textinfo="value+percent initial",
                              marker={"color": PALETTE[: len(stages)]}))
    fig.update_layout(title="People entering each stage")
    s.figure_html = _fig_html(fig)
    s.table_html = _table(["stage", "entered", "of which inferred"],
                          [[st, by_stage[st][0], by_stage[st][1]] for st in stages])
    return s


def conversion_section(conn: psycopg.Connection, facts: dict) -> Section:
    import plotly.graph_objects as go

    s = Section("conversion", "Conversion by channel",
                "Share of each cohort that reached the next stage, by first-touch channel, all cohort months "
                "pooled (converted / cohort).")
    _require(conn, "marts", "funnel_conversion")
    rows = _rows(conn, """
        select channel, from_stage, to_stage, sum(cohort_count), sum(converted_count)
        from marts.funnel_conversion group by 1, 2, 3""")
    if not rows:
        raise Unavailable("marts.funnel_conversion is empty")
    order = {st: i for i, st in enumerate(STAGES)}
    pairs = sorted({(r[1], r[2]) for r in rows}, key=lambda p: (order.get(p[0], 9), order.get(p[1], 9)))
    channels = sorted({r[0] or "unknown" for r in rows})
    rate: dict[tuple, float | None] = {}
    for channel, a, b, cohort, converted in rows:
        rate[(channel or "unknown", a, b)] = (float(converted) / float(cohort)) if cohort else None
    fig = go.Figure()
    for i, channel in enumerate(channels):
        fig.add_trace(go.Bar(name=channel, x=[f"{a} → {b}" for a, b in pairs],
                             y=[rate.get((channel, a, b)) for a, b in pairs], marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group", title="Conversion rate by stage pair and channel",
                      yaxis={"tickformat": ".0%", "title": "conversion rate"})
    facts["conversion"] = {f"{c}:{a}->{b}": v for (c, a, b), v in rate.items()}
    s.figure_html = _fig_html(fig)
    return s


def velocity_section(conn: psycopg.Connection, facts: dict) -> Section:
    import plotly.graph_objects as go

    s = Section("velocity", "Velocity: days between stages",
                "Distribution of days from entering one stage to entering the next, observed (non-inferred) "
                "transitions only; boxes show the quartiles, whiskers 1.5 IQR.")
    _require(conn, "marts", "fct_stage_transitions")
    rows = _rows(conn, """
        select from_stage, to_stage, days from marts.fct_stage_transitions
        where not coalesce(is_inferred, false) and days is not null""")
    if not rows:
        raise Unavailable("marts.fct_stage_transitions has no observed transitions")
    order = {st: i for i, st in enumerate(STAGES)}
    series: dict[tuple, list[float]] = defaultdict(list)
    for a, b, days in rows:
        series[(a, b)].append(float(days))
    fig = go.Figure()
    for i, (a, b) in enumerate(sorted(series, key=lambda p: (order.get(p[0], 9), order.get(p[1], 9)))):
        fig.add_trace(go.Box(y=series[(a, b)], name=f"{a} → {b}", boxpoints=False,
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(title="Days in stage before the next one", yaxis={"title": "days"}, showlegend=False)
    facts["velocity_counts"] = {f"{a}->{b}": len(v) for (a, b), v in series.items()}
    s.figure_html = _fig_html(fig)
    if _exists(conn, "marts", "funnel_velocity"):
        vel = _rows(conn, """select from_stage, to_stage, transition_count, mean_days, median_days, p90_days
                             from marts.funnel_velocity where channel = 'all'""")
        vel.sort(key=lambda r: (order.get(r[0], 9), order.get(r[1], 9)))
        s.table_html = _table(["from", "to", "transitions", "mean days", "median days", "p90 days"],
                              [[r[0], r[1], r[2], _num(r[3]), _num(r[4]), _num(r[5])] for r in vel])
    return s


def attribution_section(conn: psycopg.Connection, facts: dict, top: int = 12) -> Section:
    import plotly.graph_objects as go

    s = Section("attribution", "Attribution by campaign, per model",
                f"Attributed revenue of the top {top} campaigns (by revenue summed over models) under each "
                "attribution model, side by side. Each model distributes the same total won revenue.")
    _require(conn, "marts", "attribution_campaign")
    rows = _rows(conn, """select model, coalesce(campaign_id, '(no touch)'), attributed_revenue, attributed_pipeline
                          from marts.attribution_campaign""")
    if not rows:
        raise Unavailable("marts.attribution_campaign is empty")
    names = {}
    if _exists(conn, "marts", "campaign_performance"):
        names = {r[0]: r[1] for r in _rows(conn, "select campaign_id, name from marts.campaign_performance")}
    totals: dict[str, float] = defaultdict(float)
    revenue: dict[tuple[str, str], float] = {}
    for model, campaign, rev, _pipe in rows:
        revenue[(model, campaign)] = float(rev or 0)
        totals[campaign] += float(rev or 0)
    campaigns = sorted(totals, key=lambda c: -totals[c])[:top]
    labels = [str(names.get(c) or c)[:28] for c in campaigns]
    models = [m for m in MODELS if any(k[0] == m for k in revenue)] + sorted(
        {k[0] for k in revenue} - set(MODELS))
    fig = go.Figure()
    for i, model in enumerate(models):
        fig.add_trace(go.Bar(name=model, x=labels, y=[revenue.get((model, c), 0.0) for c in campaigns],
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group", title="Attributed revenue by campaign and model",
                      yaxis={"title": "attributed revenue", "tickformat": "~s"}, xaxis={"tickangle": -30})
    per_model = defaultdict(float)
    for (model, _c), v in revenue.items():
        per_model[model] += v
    facts["attribution_revenue_by_model"] = dict(per_model)
    s.figure_html = _fig_html(fig)
    s.table_html = _table(["model", "total attributed revenue"], [[m, per_model[m]] for m in models])
    return s


def win_rate_section(conn: psycopg.Connection, facts: dict) -> Section:
    import plotly.graph_objects as go

    s = Section("win_rate", "Win rate trend",
                "Won / (won + lost) by close month, all opportunities (open ones excluded), with the count of "
                "closed opportunities behind each point.")
    _require(conn, "marts", "win_rates")
    rows = _rows(conn, """select close_month, won_count, lost_count, win_rate from marts.win_rates
                          where dimension = 'overall' order by close_month""")
    if not rows:
        raise Unavailable("marts.win_rates has no 'overall' rows")
    months = [r[0] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=months, y=[(r[1] or 0) + (r[2] or 0) for r in rows], name="closed opportunities",
                         marker_color="#c9d6e8", yaxis="y2"))
    fig.add_trace(go.Scatter(x=months, y=[_num(r[3]) for r in rows], name="win rate", mode="lines+markers",
                             line={"color": PALETTE[0], "width": 3}))
    fig.update_layout(title="Monthly win rate", yaxis={"tickformat": ".0%", "title": "win rate", "rangemode": "tozero"},
                      yaxis2={"overlaying": "y", "side": "right", "title": "closed", "showgrid": False},
                      legend={"orientation": "h", "y": -0.2})
    facts["win_rate_months"] = len(rows)
    s.figure_html = _fig_html(fig)
    return s


def _relative_link(target: str | None, out_dir: Path) -> str | None:
    if not target:
        return None
    path = Path(target.removeprefix("file://"))
    if not path.is_absolute():
        return target
    try:
        return os.path.relpath(path, out_dir)
    except ValueError:
        return path.as_uri()


def quality_section(conn: psycopg.Connection, facts: dict, out_dir: Path, data_docs: str | None) -> Section:
    import plotly.graph_objects as go

    s = Section("quality", "Data quality",
                "Great Expectations results of the latest validation of each suite (critical failures stop a run "
                "before publishing; warnings are reported). Full results per run are in the Data Docs.")
    link = _relative_link(data_docs, out_dir)
    if link:
        s.note = f"<p>Data Docs: <a href='{html.escape(link)}'>{html.escape(link)}</a></p>"
    _require(conn, "audit", "validation_runs")
    # One row per (validation run, suite, table) with its counts (expectations/audit.py); the latest
    # validation of each suite is what the report shows.
    rows = _rows(conn, """
        with ranked as (
            select *, rank() over (partition by suite order by finished_at desc, run_id desc) as rk
            from audit.validation_runs
        )
        select suite, max(finished_at)::text, sum(successful)::int, sum(failed_critical)::int,
               sum(failed_warning)::int, max(data_docs_path), max(run_id), count(*) filter (where status = 'not_built')
        from ranked where rk = 1 group by suite order by suite""")
    if not rows:
        raise Unavailable("no validation results in the audit schema yet")
    suites = [r[0] for r in rows]
    fig = go.Figure()
    for name, idx, color in (("passed", 2, "#54a24b"), ("warning", 4, "#eeca3b"), ("critical failed", 3, "#e45756")):
        fig.add_trace(go.Bar(name=name, y=suites, x=[r[idx] for r in rows], orientation="h", marker_color=color))
    fig.update_layout(barmode="stack", title="Expectations per suite (latest validation)",
                      xaxis={"title": "expectations"})
    totals = {"passed": sum(r[2] for r in rows), "critical_failed": sum(r[3] for r in rows),
              "warnings": sum(r[4] for r in rows), "suites": len(rows), "not_built": sum(r[7] for r in rows)}
    facts["quality"] = totals
    s.figure_html = _fig_html(fig, height=max(300, 28 * len(suites) + 120))

    def docs_cell(value: Any) -> str:
        href = _relative_link(value, out_dir) if value else None
        return f"<a href='{html.escape(href)}'>report</a>" if href else ""

    body = "".join(
        f"<tr><td>{html.escape(r[0])}</td><td>{html.escape(str(r[1])[:19])}</td><td>{r[2]}</td><td>{r[4]}</td>"
        f"<td class='{'bad' if r[3] else ''}'>{r[3]}</td><td>{r[7]}</td><td>{html.escape(str(r[6]))}</td>"
        f"<td>{docs_cell(r[5])}</td></tr>" for r in rows)
    s.table_html = ("<table><thead><tr><th>suite</th><th>validated at</th><th>passed</th><th>warnings</th>"
                    "<th>critical failed</th><th>tables not built</th><th>run id</th><th>Data Docs</th></tr>"
                    f"</thead><tbody>{body}</tbody></table>")
    return s


def extraction_section(conn: psycopg.Connection, facts: dict) -> Section:
    import plotly.graph_objects as go

    s = Section("extraction", "Extraction",
                "Rows held in the raw layer per object (every extracted version is kept) and the latest sync run "
                "of each object from raw_meta.sync_runs.")
    raw = _rows(conn, """
        select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('raw_salesforce', 'raw_hubspot') and c.relkind in ('r', 'p') order by 1, 2""")
    if not raw:
        raise Unavailable("no raw tables yet (raw_salesforce / raw_hubspot)")
    counts = []
    for schema, table in raw:
        n = conn.execute(f'select count(*), count(distinct id) from "{schema}"."{table}"').fetchone()
        counts.append((schema.removeprefix("raw_"), table, int(n[0]), int(n[1])))
    facts["raw_rows"] = {f"{c[0]}.{c[1]}": c[2] for c in counts}
    fig = go.Figure()
    for i, source in enumerate(sorted({c[0] for c in counts})):
        mine = [c for c in counts if c[0] == source]
        fig.add_trace(go.Bar(name=source, x=[c[1] for c in mine], y=[c[2] for c in mine],
                             marker_color=PALETTE[i]))
    values = [c[2] for c in counts if c[2]]
    # Objects differ by orders of magnitude (users vs. campaign members); log scale only when they do.
    wide = bool(values) and max(values) / max(min(values), 1) > 50
    fig.update_layout(title="Raw rows (all versions) per object",
                      yaxis={"title": "rows", "type": "log" if wide else "linear"}, xaxis={"tickangle": -40})
    s.figure_html = _fig_html(fig)
    table_rows: list[list[Any]] = []
    headers = ["source", "object", "raw rows", "distinct ids"]
    if _exists(conn, "raw_meta", "sync_runs"):
        cols = _columns(conn, "raw_meta", "sync_runs")
        wanted = [c for c in ("rows", "rows_loaded", "pages", "api_calls", "retries", "seconds", "duration_seconds",
                              "outcome", "status", "error") if c in cols]
        order_col = next((c for c in ("finished_at", "started_at", "ended_at") if c in cols), None)
        if {"source", "object"} <= set(cols) and order_col:
            select = ", ".join(f'"{c}"' for c in wanted) or "null"
            latest = {(r[0], r[1]): r[2:] for r in _rows(conn, f"""
                select distinct on (source, object) source, object, {select} from raw_meta.sync_runs
                order by source, object, "{order_col}" desc""")}  # noqa: S608 - catalog identifiers
            headers += [f"last run: {c}" for c in wanted]
            for c in counts:
                extra = latest.get((c[0], c[1])) or latest.get((f"raw_{c[0]}", c[1])) or [None] * len(wanted)
                table_rows.append([*c, *extra])
            facts["sync_runs"] = len(latest)
    if not table_rows:
        table_rows = [list(c) for c in counts]
    s.table_html = _table(headers, table_rows, max_rows=60)
    return s


# ---------------------------------------------------------------------------------------------- page

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2f4f;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{padding:8px 32px;background:#e9edf3;font-size:13px}nav a{margin-right:14px;color:#1d2f4f}
main{padding:16px 32px;max-width:1280px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 20px;margin:16px 0}
section h2{margin:0 0 4px;font-size:18px}.intro{margin:0 0 8px;color:#556;font-size:13px}
.kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{background:#fff;border-radius:8px;padding:12px 18px;
box-shadow:0 1px 3px rgba(0,0,0,.08);min-width:150px}.kpi b{display:block;font-size:22px}
.kpi span{font-size:12px;color:#667}
table{border-collapse:collapse;font-size:12px;margin-top:8px}th,td{padding:4px 10px;border-bottom:1px solid #e3e6ea;
text-align:right}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f0f2f5}.bad{color:#b00020;font-weight:600}.muted,.unavailable{color:#778;font-size:13px}
"""


def _render(data: ReportData, title: str) -> str:
    from plotly.offline import get_plotlyjs

    kpis = []
    funnel = data.facts.get("funnel") or {}
    if funnel:
        kpis.append((f"{funnel.get('lead', max(funnel.values())):,}", "people in the funnel"))
        if funnel.get("lead") and "customer" in funnel:
            kpis.append((f"{funnel['customer'] / funnel['lead']:.1%}", "lead → customer"))
    quality = data.facts.get("quality")
    if quality:
        kpis.append((f"{quality['passed']}/{quality['passed'] + quality['critical_failed'] + quality['warnings']}",
                     "expectations passed"))
        kpis.append((str(quality["critical_failed"]), "critical failures"))
    if data.facts.get("raw_rows"):
        kpis.append((f"{sum(data.facts['raw_rows'].values()):,}", "raw rows (all versions)"))
    kpi_html = "".join(f"<div class='kpi'><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>"
                       for v, k in kpis)
    nav = "".join(f"<a href='#{s.key}'>{html.escape(s.title)}</a>" for s in data.sections)
    parts = []
    for s in data.sections:
        body = (f"<p class='unavailable'>Not available: {html.escape(s.error)}</p>" if s.error
                else s.figure_html + s.table_html)
        parts.append(f"<section id='{s.key}'><h2>{html.escape(s.title)}</h2><p class='intro'>"
                     f"{html.escape(s.intro)}</p>{s.note}{body}</section>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><header><h1>{html.escape(title)}</h1><p>Generated {html.escape(data.generated_at)} from database
{html.escape(data.database)}. Static file: charts are embedded, nothing is loaded from the network.</p></header>
<nav>{nav}</nav><main><div class="kpis">{kpi_html}</div>{''.join(parts)}</main>
<script type="application/json" id="report-facts">{html.escape(json.dumps(data.facts, default=str))}</script>
</body></html>"""


def collect(dsn: str, out_dir: Path, data_docs: str | None = None) -> ReportData:
    data = ReportData(generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), database="")
    builders: list[tuple[str, str, Callable[[psycopg.Connection], Section]]] = [
        ("funnel", "Funnel by stage", lambda c: funnel_section(c, data.facts)),
        ("conversion", "Conversion by channel", lambda c: conversion_section(c, data.facts)),
        ("velocity", "Velocity: days between stages", lambda c: velocity_section(c, data.facts)),
        ("attribution", "Attribution by campaign, per model", lambda c: attribution_section(c, data.facts)),
        ("win_rate", "Win rate trend", lambda c: win_rate_section(c, data.facts)),
        ("quality", "Data quality", lambda c: quality_section(c, data.facts, out_dir, data_docs)),
        ("extraction", "Extraction", lambda c: extraction_section(c, data.facts)),
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
                 title: str = "Funnelhouse run report") -> Path:
    """Write `out_dir/index.html` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if data_docs is None:
        latest = load_settings().paths.latest_data_docs
        data_docs = str(latest) if latest.exists() else None
    data = collect(dsn, out_dir, data_docs)
    target = out_dir / "index.html"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(_render(data, title), encoding="utf-8")
    os.replace(tmp, target)  # readers never see a half-written report
    (out_dir / "facts.json").write_text(json.dumps(data.facts, indent=2, default=str))
    return target
