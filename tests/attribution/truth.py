"""Readers of a sandbox world's ground truth (docs/sandbox.md section 5) and independent Python
computations of the campaign, scoring and value marts from it (docs/metrics.md section 4)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from funnelhouse.core.settings import PROJECT_ROOT

RULES_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "lead_scoring_rules.csv"
BANDS = (("0–24", None, 25), ("25–49", 25, 50), ("50–74", 50, 75), ("75–99", 75, 100), ("100+", 100, None))


def ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    v = value.strip().replace("Z", "+00:00")
    if len(v) == 10:
        return datetime.fromisoformat(v + "T00:00:00+00:00")
    return datetime.fromisoformat(v).astimezone(UTC)


def read(dataset: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (dataset / "truth" / f"{name}.jsonl").read_text().splitlines() if line]


def days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def month(t: datetime | date) -> date:
    return date(t.year, t.month, 1)


def ratio(n: float | None, d: float | None) -> float | None:
    return None if n is None or not d else n / d


# ---------------------------------------------------------------- campaigns


def campaign_cost(campaign: dict) -> float | None:
    cost = campaign["actual_cost"] if campaign["actual_cost"] is not None else campaign["budgeted_cost"]
    return None if cost is None else float(cost)


def campaign_sourcing(dataset: Path) -> dict[str, dict]:
    """{campaign_id: {cost, new_people, mqls_sourced}} from the truth files."""
    out = {c["campaign_id"]: {"cost": campaign_cost(c), "new_people": 0, "mqls_sourced": 0}
           for c in read(dataset, "campaigns")}
    for p in read(dataset, "people"):
        c = p["first_touch_campaign_id"]
        if c in out:
            out[c]["new_people"] += 1
            out[c]["mqls_sourced"] += 1 if p["stages"]["mql"] else 0
    return out


# ---------------------------------------------------------------- lead scoring


def load_rules() -> list[dict]:
    with RULES_CSV.open() as f:
        return [{**r, "points": float(r["points"])} for r in csv.DictReader(f)]


def rule_matches(rule: dict, value) -> bool:
    op, want = rule["operator"], rule["value"]
    if value is None:
        return False
    v = str(value)
    if op == "eq":
        return v.lower() == want.lower()
    if op == "ne":
        return v.lower() != want.lower()
    if op == "in":
        return v.lower() in want.lower().split("|")
    if op in ("gte", "lte"):
        try:
            x, w = float(v), float(want)
        except ValueError:
            return False
        return x >= w if op == "gte" else x <= w
    return op == "any"


def lead_scores(people: dict[str, dict], touches: dict[str, list[dict]], as_of: datetime, rules: list[dict],
                half_life: float = 30, threshold: float = 100, cold_after: float = 90) -> dict[str, dict]:
    """people: {key: attribute dict incl. created_at}; touches: {key: [touch dicts with touched_at]}."""

    def decay(a: datetime, b: datetime) -> float:
        return 2 ** (-days(a, b) / half_life) if half_life > 0 else 1.0

    fit_rules = [r for r in rules if r["kind"] == "fit"]
    behavior_rules = [r for r in rules if r["kind"] == "behavior"]
    out = {}
    for key, attrs in people.items():
        contributions: dict[str, float] = defaultdict(float)
        fit = 0.0
        for r in fit_rules:
            if rule_matches(r, attrs.get(r["attribute"])):
                fit += r["points"]
                contributions[r["rule_id"]] += r["points"]
        events = []  # (time, points, rule)
        for t in touches.get(key, []):
            if t["touched_at"] > as_of:
                continue
            for r in behavior_rules:
                if rule_matches(r, t.get(r["attribute"])):
                    events.append((t["touched_at"], r["points"], r["rule_id"]))
        behavior = 0.0
        for at, pts, rule_id in events:
            behavior += pts * decay(at, as_of)
            contributions[rule_id] += pts * decay(at, as_of)
        candidates = sorted({at for at, _, _ in events} | ({attrs["created_at"]} if attrs.get("created_at") else set()))
        first_ready = None
        for c in candidates:
            if fit + sum(p * decay(at, c) for at, p, _ in events if at <= c) >= threshold:
                first_ready = c
                break
        positive = sorted(((-v, k) for k, v in contributions.items() if v > 0))
        last = max((at for at, _, _ in events), default=None)
        score = fit + behavior
        out[key] = {"fit_score": fit, "behavior_score": behavior, "score": score,
                    "sales_ready_pct": min(score / threshold, 1.0), "is_sales_ready": score >= threshold,
                    "first_sales_ready_at": first_ready, "top_rule_id": positive[0][1] if positive else None,
                    "top_margin": (positive[1][0] - positive[0][0]) if len(positive) > 1 else float("inf"),
                    "last_behavior_at": last,
                    "is_cold": last is None or days(last, as_of) > cold_after}
    return out


def score_band(score: float) -> str:
    for name, lo, hi in BANDS:
        if (lo is None or score >= lo) and (hi is None or score < hi):
            return name
    raise AssertionError(score)


# ---------------------------------------------------------------- value


def customer_values(opportunities: list[dict], people: list[dict], company_of_domain: dict[str, str],
                    as_of: datetime) -> dict[str, dict]:
    """{company_id: {...}} from truth opportunities (won; the company is its person's company)."""
    domain_of = {p["person_key"]: p["company_domain"] for p in people}
    deals: dict[str, list[tuple[datetime, float | None]]] = defaultdict(list)
    for o in opportunities:
        domain = domain_of.get(o["person_keys"][0]) if o["person_keys"] else None
        if not o["is_won"] or domain not in company_of_domain:
            continue
        closed = ts(o["closed_at"]) or ts(o["close_date"])
        deals[company_of_domain[domain]].append((closed, o.get("amount_corporate", o["amount"])))
    out = {}
    for company, won in deals.items():
        amounts = [float(a) for _, a in won if a is not None]
        first = min(t for t, _ in won)
        out[company] = {"first_won_at": first, "last_won_at": max(t for t, _ in won), "won_deals": len(won),
                        "lifetime_revenue": sum(amounts),
                        "avg_deal_size": sum(amounts) / len(amounts) if amounts else None,
                        "tenure_days": days(first, as_of), "deals": won}
    return out


def months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def clv_cohorts(customers: dict[str, dict], as_of: datetime) -> dict[tuple, dict]:
    cohorts: dict[date, list[dict]] = defaultdict(list)
    for c in customers.values():
        f = c["first_won_at"]
        cohorts[date(f.year, 3 * ((f.month - 1) // 3) + 1, 1)].append(c)
    out = {}
    for quarter, members in cohorts.items():
        earliest = min(month(c["first_won_at"]) for c in members)
        last = max(months_between(earliest, month(as_of)), 0)
        by_month: dict[int, float] = defaultdict(float)
        for c in members:
            for t, amount in c["deals"]:
                by_month[months_between(month(c["first_won_at"]), month(t))] += float(amount or 0)
        running = 0.0
        for m in range(last + 1):
            running += by_month.get(m, 0.0)
            out[(quarter, m)] = {"customers": len(members), "cumulative_revenue": running,
                                 "cumulative_revenue_per_customer": running / len(members)}
    return out
