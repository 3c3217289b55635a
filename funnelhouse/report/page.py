"""The report page: templates/report.html.j2 rendered by Jinja2 with autoescaping, so every
value from the warehouse (campaign names, error messages, ids) is escaped; only Plotly's own
figure markup is inserted as is."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnelhouse.report.sections import Section

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class ReportData:
    """What the report knows; exposed so tests can check the numbers behind each chart."""

    generated_at: str
    database: str
    sections: list[Section] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def kpis(facts: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    funnel = facts.get("funnel") or {}
    if funnel:
        out.append((f"{funnel.get('lead', max(funnel.values())):,}", "people in the funnel"))
        if funnel.get("lead") and "customer" in funnel:
            out.append((f"{funnel['customer'] / funnel['lead']:.1%}", "lead → customer"))
    quality = facts.get("quality")
    if quality:
        out.append((f"{quality['passed']}/{quality['passed'] + quality['critical_failed'] + quality['warnings']}",
                    "expectations passed"))
        out.append((str(quality["critical_failed"]), "critical failures"))
    if facts.get("raw_rows"):
        out.append((f"{sum(facts['raw_rows'].values()):,}", "raw rows (all versions)"))
    return out


def render(data: ReportData, title: str, plotly_src: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined)
    return env.get_template("report.html.j2").render(
        title=title, generated_at=data.generated_at, database=data.database, sections=data.sections,
        kpis=kpis(data.facts), plotly_src=plotly_src, facts_json=json.dumps(data.facts, default=str))
