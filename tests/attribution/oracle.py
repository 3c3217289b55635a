"""An independent Python implementation of docs/metrics.md section 3 (journeys, milestones, the seven
attribution models) and of the campaign mart, computed from the upstream facts the marts read
(fct_opportunities, fct_opportunity_people, dim_people, fct_touchpoints) -- written from the spec,
not from the SQL: loops over each journey, weights hard-coded from the docs/metrics.md table."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

#: docs/metrics.md section 3: (milestone weights, middle weight); linear and time_decay are special
POSITION_MODELS: dict[str, tuple[dict[str, float], float]] = {
    "first_touch": ({"FT": 1.0}, 0.0),
    "last_touch": ({"LT": 1.0}, 0.0),
    "u_shaped": ({"FT": 0.4, "LC": 0.4}, 0.2),
    "w_shaped": ({"FT": 0.3, "LC": 0.3, "OC": 0.3}, 0.1),
    "full_path": ({"FT": 0.225, "LC": 0.225, "OC": 0.225, "CW": 0.225}, 0.1),
}
MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay")


@dataclass(frozen=True)
class Touch:
    touchpoint_id: str
    person_id: str
    touched_at: datetime
    campaign_id: str | None
    channel: str | None


@dataclass
class Journey:
    opportunity_id: str
    is_won: bool
    amount: float | None
    window_end: datetime
    touches: list[Touch]
    milestones: dict[str, int | None]  # milestone -> index into touches


def days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def last_index_at_or_before(touches: list[Touch], cutoff: datetime | None) -> int | None:
    found = None
    if cutoff is None:
        return None
    for i, t in enumerate(touches):
        if t.touched_at <= cutoff:
            found = i
    return found


def build_journeys(opportunities: list[dict], opportunity_people: list[dict], people: list[dict],
                   touchpoints: list[dict], as_of: datetime, lookback_days: float = 365) -> list[Journey]:
    created = {p["person_id"]: p["created_at"] for p in people}
    on_opp: dict[str, set[str]] = defaultdict(set)
    for row in opportunity_people:
        on_opp[row["opportunity_id"]].add(row["person_id"])
    by_person: dict[str, list[Touch]] = defaultdict(list)
    for t in touchpoints:
        by_person[t["person_id"]].append(
            Touch(t["touchpoint_id"], t["person_id"], t["touched_at"], t["campaign_id"], t["channel"]))
    journeys = []
    for o in opportunities:
        if o["is_closed"]:
            end = o["closed_at"] or datetime.combine(o["close_date"], time(0), UTC)
        else:
            end = as_of
        start = o["created_at"] - timedelta(days=lookback_days)
        persons = on_opp.get(o["opportunity_id"], set())
        touches = [t for p in persons for t in by_person.get(p, []) if start <= t.touched_at <= end]
        # docs/metrics.md: ordered by touched_at, then touchpoint_id (code-point order)
        touches.sort(key=lambda t: (t.touched_at, t.touchpoint_id))
        created_times = [created[p] for p in persons if created.get(p) is not None]
        people_created = min(created_times) if created_times else None
        milestones: dict[str, int | None] = {
            "FT": 0 if touches else None,
            "LC": last_index_at_or_before(touches, people_created),
            "OC": last_index_at_or_before(touches, o["created_at"]),
            "CW": last_index_at_or_before(touches, o["closed_at"]) if o["is_won"] else None,
            "LT": len(touches) - 1 if touches else None,
        }
        # attribution credits the corporate-currency amount (fct_opportunities.amount_corporate, itself
        # checked against the generator's rates by tests/oracle/funnel_marts_test.py)
        money = o.get("amount_corporate", o["amount"])
        amount = float(money) if money is not None else None
        journeys.append(Journey(o["opportunity_id"], bool(o["is_won"]), amount, end, touches, milestones))
    return journeys


def position_credits(journey: Journey, weights: dict[str, float], middle_weight: float) -> list[float]:
    n = len(journey.touches)
    present = {m: i for m, i in journey.milestones.items() if m in weights and i is not None}
    holders = {i for i in journey.milestones.values() if i is not None}
    last = max(present.values())
    middle = [i for i in range(n) if 0 < i < last and i not in holders]
    leftover = sum(w for m, w in weights.items() if m not in present)
    if not middle:
        leftover += middle_weight
    credits = [0.0] * n
    for m, i in present.items():
        credits[i] += weights[m] + leftover / len(present)
    for i in middle:
        credits[i] += middle_weight / len(middle)
    return credits


def model_credits(journey: Journey, model: str, half_life_days: float = 7) -> list[float]:
    n = len(journey.touches)
    if model == "linear":
        return [1.0 / n] * n
    if model == "time_decay":
        w = [2 ** (-days(t.touched_at, journey.window_end) / half_life_days) for t in journey.touches]
        total = sum(w)
        return [x / total for x in w]
    weights, middle = POSITION_MODELS[model]
    return position_credits(journey, weights, middle)


def touchpoint_credits(journeys: list[Journey], half_life_days: float = 7) -> dict[tuple, dict]:
    """{(opportunity_id, touchpoint_id, model): {credit, attributed_pipeline, attributed_revenue, ...}}"""
    out = {}
    for j in journeys:
        if not j.touches:
            continue
        for model in MODELS:
            for t, c in zip(j.touches, model_credits(j, model, half_life_days), strict=True):
                pipeline = None if j.amount is None else c * j.amount
                revenue = (pipeline if j.is_won else 0.0)
                out[(j.opportunity_id, t.touchpoint_id, model)] = {
                    "credit": c, "attributed_pipeline": pipeline, "attributed_revenue": revenue,
                    "campaign_id": t.campaign_id, "channel": t.channel, "is_won": j.is_won}
    return out


def campaign_attribution(journeys: list[Journey], credits: dict[tuple, dict],
                         campaign_cost: dict[str, float | None]) -> dict[tuple, dict]:
    """{(model, campaign_id): {...}} with the null-campaign row for journeys without touches."""
    agg: dict[tuple, dict] = defaultdict(lambda: {"attributed_opportunities": 0.0, "attributed_pipeline": 0.0,
                                                  "attributed_won_opportunities": 0.0, "attributed_revenue": 0.0})
    for (_, _, model), row in credits.items():
        a = agg[(model, row["campaign_id"])]
        a["attributed_opportunities"] += row["credit"]
        a["attributed_pipeline"] += row["attributed_pipeline"] or 0.0
        a["attributed_won_opportunities"] += row["credit"] if row["is_won"] else 0.0
        a["attributed_revenue"] += row["attributed_revenue"] or 0.0
    for j in journeys:
        if j.touches:
            continue
        for model in MODELS:
            a = agg[(model, None)]
            a["attributed_opportunities"] += 1.0
            a["attributed_pipeline"] += j.amount or 0.0
            a["attributed_won_opportunities"] += 1.0 if j.is_won else 0.0
            a["attributed_revenue"] += (j.amount or 0.0) if j.is_won else 0.0
    for model in MODELS:
        for campaign in campaign_cost:  # every campaign has a row per model, credited or not
            agg.setdefault((model, campaign), agg.default_factory())
    for (_model, campaign), a in agg.items():
        cost = campaign_cost.get(campaign) if campaign is not None else None
        a["campaign_cost"] = cost
        a["roi"] = (a["attributed_revenue"] - cost) / cost if cost else None
    return dict(agg)


def month_start(d: datetime | date) -> date:
    return date(d.year, d.month, 1)
