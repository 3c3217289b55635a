"""The sections of the run report: each reads its rows (queries.py), draws its chart (charts.py),
lays out its table and records the numbers behind it in `facts` (facts.json, for tests and tools)."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from funnelhouse.report import charts, queries

STAGES = ["lead", "mql", "sql", "opportunity", "customer"]
MODELS = ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay"]
_ORDER = {st: i for i, st in enumerate(STAGES)}


@dataclass
class Cell:
    text: str
    href: str | None = None
    css: str = ""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    hidden: int = 0          # rows not shown


@dataclass
class Section:
    key: str
    title: str
    intro: str
    figure_html: str = ""    # Plotly's own markup (data + layout); the template does not escape it
    table: Table | None = None
    link: str | None = None  # the Data Docs link of the quality section
    error: str = ""


def _text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return "" if v is None else str(v)


def table(headers: list[str], rows: list[list[Any]], max_rows: int = 50) -> Table:
    return Table(headers, [[v if isinstance(v, Cell) else Cell(_text(v)) for v in row] for row in rows[:max_rows]],
                 max(0, len(rows) - max_rows))


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _pair_key(p: tuple[str, str]) -> tuple[int, int]:
    return (_ORDER.get(p[0], 9), _ORDER.get(p[1], 9))


def funnel(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("funnel", "Funnel by stage",
                "People who ever entered each canonical stage (first entries, both CRMs merged). "
                "Inferred entries are back-filled skipped stages (docs/metrics.md §1).")
    by_stage = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in queries.funnel_volume(conn)}
    stages = [st for st in STAGES if st in by_stage] + sorted(set(by_stage) - set(STAGES))
    counts = [by_stage[st][0] for st in stages]
    facts["funnel"] = dict(zip(stages, counts, strict=True))
    s.figure_html = charts.funnel(stages, counts)
    s.table = table(["stage", "entered", "of which inferred"], [[st, *by_stage[st]] for st in stages])
    return s


def conversion(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("conversion", "Conversion by channel",
                "Share of each cohort that reached the next stage, by first-touch channel, all cohort months "
                "pooled (converted / cohort).")
    found = queries.conversion(conn)
    pairs = sorted({(r[1], r[2]) for r in found}, key=_pair_key)
    channels = sorted({r[0] or "unknown" for r in found})
    rate: dict[tuple, float | None] = {}
    for channel, a, b, cohort, converted in found:
        rate[(channel or "unknown", a, b)] = (float(converted) / float(cohort)) if cohort else None
    facts["conversion"] = {f"{c}:{a}->{b}": v for (c, a, b), v in rate.items()}
    s.figure_html = charts.conversion(pairs, channels, rate)
    return s


def velocity(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("velocity", "Velocity: days between stages",
                "Distribution of days from entering one stage to entering the next, observed (non-inferred) "
                "transitions only; boxes show the quartiles, whiskers 1.5 IQR.")
    series: dict[tuple[str, str], list[float]] = defaultdict(list)
    for a, b, days in queries.transitions(conn):
        series[(a, b)].append(float(days))
    facts["velocity_counts"] = {f"{a}->{b}": len(v) for (a, b), v in series.items()}
    s.figure_html = charts.velocity(series, sorted(series, key=_pair_key))
    vel = sorted(queries.velocity(conn), key=_pair_key)
    if vel:
        s.table = table(["from", "to", "transitions", "mean days", "median days", "p90 days"],
                        [[r[0], r[1], r[2], _num(r[3]), _num(r[4]), _num(r[5])] for r in vel])
    return s


def attribution(conn: psycopg.Connection, facts: dict, top: int = 12) -> Section:
    s = Section("attribution", "Attribution by campaign, per model",
                f"Attributed revenue of the top {top} campaigns (by revenue summed over models) under each "
                "attribution model, side by side. Each model distributes the same total won revenue.")
    found, names = queries.attribution(conn)
    totals: dict[str, float] = defaultdict(float)
    revenue: dict[tuple[str, str], float] = {}
    for model, campaign, rev, _pipe in found:
        revenue[(model, campaign)] = float(rev or 0)
        totals[campaign] += float(rev or 0)
    campaigns = sorted(totals, key=lambda c: -totals[c])[:top]
    labels = [str(names.get(c) or c)[:28] for c in campaigns]
    models = [m for m in MODELS if any(k[0] == m for k in revenue)] + sorted({k[0] for k in revenue} - set(MODELS))
    per_model: dict[str, float] = defaultdict(float)
    for (model, _c), v in revenue.items():
        per_model[model] += v
    facts["attribution_revenue_by_model"] = dict(per_model)
    s.figure_html = charts.attribution(labels, campaigns, models, revenue)
    s.table = table(["model", "total attributed revenue"], [[m, per_model[m]] for m in models])
    return s


def win_rate(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("win_rate", "Win rate trend",
                "Won / (won + lost) by close month, all opportunities (open ones excluded), with the count of "
                "closed opportunities behind each point.")
    found = queries.win_rates(conn)
    facts["win_rate_months"] = len(found)
    s.figure_html = charts.win_rate([r[0] for r in found], [(r[1] or 0) + (r[2] or 0) for r in found],
                                    [_num(r[3]) for r in found])
    return s


def pipeline_history(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("pipeline_history", "Pipeline waterfall",
                "How the open pipeline moved week by week (the latest 26 weeks of marts.pipeline_waterfall): "
                "created and reopened deals add to it, won, lost and removed ones leave it at their opening "
                "amount, amount changes adjust it; opening + flows = closing on every week.")
    found = queries.pipeline_waterfall(conn)
    facts["waterfall_weeks"] = len(found)
    weeks = [r[0] for r in found]
    flows = {"created": [_num(r[2]) for r in found], "reopened": [_num(r[3]) for r in found],
             "won": [-(_num(r[4]) or 0) for r in found], "lost": [-(_num(r[5]) or 0) for r in found],
             "removed": [-(_num(r[6]) or 0) for r in found], "amount change": [_num(r[7]) for r in found]}
    s.figure_html = charts.pipeline_waterfall(weeks, flows, [_num(r[8]) for r in found])
    s.table = table(["week", "opening", "created", "reopened", "won", "lost", "removed", "amount change", "closing"],
                    [[r[0], *(_num(v) for v in r[1:])] for r in reversed(found)], max_rows=12)
    return s


def relative_link(target: str | None, out_dir: Path) -> str | None:
    if not target:
        return None
    path = Path(target.removeprefix("file://"))
    if not path.is_absolute():
        return target
    try:
        return os.path.relpath(path, out_dir)
    except ValueError:
        return path.as_uri()


def quality(conn: psycopg.Connection, facts: dict, out_dir: Path, data_docs: str | None) -> Section:
    s = Section("quality", "Data quality",
                "Great Expectations results of the latest validation of each suite (critical failures stop a run "
                "before publishing; warnings are reported). Full results per run are in the Data Docs.")
    s.link = relative_link(data_docs, out_dir)
    found = queries.latest_validations(conn)
    facts["quality"] = {"passed": sum(r[2] for r in found), "critical_failed": sum(r[3] for r in found),
                        "warnings": sum(r[4] for r in found), "suites": len(found),
                        "not_built": sum(r[7] for r in found)}
    s.figure_html = charts.quality([r[0] for r in found], [r[2] for r in found], [r[4] for r in found],
                                   [r[3] for r in found])

    def docs_cell(value: Any) -> Cell:
        href = relative_link(value, out_dir) if value else None
        return Cell("report", href=href) if href else Cell("")

    s.table = table(["suite", "validated at", "passed", "warnings", "critical failed", "tables not built", "run id",
                     "Data Docs"],
                    [[r[0], str(r[1])[:19], r[2], r[4], Cell(str(r[3]), css="bad" if r[3] else ""), r[7], str(r[6]),
                      docs_cell(r[5])] for r in found], max_rows=len(found))
    return s


def extraction(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("extraction", "Extraction",
                "Rows held in the raw layer per object (every extracted version is kept) and the latest sync run "
                "of each object from raw_meta.sync_runs.")
    counts = queries.raw_counts(conn)
    facts["raw_rows"] = {f"{c[0]}.{c[1]}": c[2] for c in counts}
    s.figure_html = charts.raw_rows(counts)
    headers = ["source", "object", "raw rows", "distinct ids"]
    latest = queries.latest_sync_runs(conn)
    if latest:
        headers += [f"last run: {c}" for c in queries.SYNC_RUN_COLUMNS]
        facts["sync_runs"] = len(latest)
        rows = [[*c, *(latest.get((c[0], c[1])) or [None] * len(queries.SYNC_RUN_COLUMNS))] for c in counts]
    else:
        rows = [list(c) for c in counts]
    s.table = table(headers, rows, max_rows=60)
    return s


def publication(conn: psycopg.Connection, facts: dict) -> Section:
    s = Section("publication", "Publication: what BI reads",
                "BI (bi_reader) reads only the schema marts, and marts is always one whole run that passed its checks: "
                "each run is built into marts__next, validated, and swapped in by one transaction. A withheld run "
                "(failed check, error, killed worker) leaves marts as the live run below left it.")
    found = queries.publications(conn)
    live = queries.live_run(conn)
    in_marts = queries.marts_run_ids(conn)
    facts["publication"] = {"live_run_id": live[0] if live else None,
                            "published_at": live[1].isoformat() if live else None,
                            "marts_run_ids": in_marts,
                            "recent": [{"run_id": r[0], "decision": r[2]} for r in found]}
    if live:
        marks = ", ".join(in_marts) or "none"
        s.intro += (f" Live now: run {live[0]}, published {live[1].astimezone(UTC):%Y-%m-%d %H:%M} UTC; "
                    f"the marts carry _published_run_id {marks}.")
    else:
        s.intro += " No run has been published yet."
    rows = []
    for r in found:
        state = "live" if live and r[0] == live[0] and r[2] == "published" else r[2]
        css = "bad" if r[2] == "withheld" else ""
        lock = f"{r[6] * 1000:.1f} ms" if r[6] is not None else ""
        rows.append([Cell(state, css=css), r[0], r[1] or "", (r[3] or "")[:160], r[4], r[5], lock, r[7],
                     ", ".join(r[8] or [])])
    s.table = table(["decision", "run id", "DAG run", "why", "marts", "rows", "swap lock", "recorded at",
                     "GX runs"], rows, max_rows=len(rows))
    return s
