"""An independent Python implementation of docs/metrics.md §1, §2 and the sales marts of §4, computed from a
sandbox world's ground truth (`truth/*.jsonl`) and its dataset files — never from the warehouse.

Every function returns {grain tuple: {column: value}} so the tests can compare marts cell by cell.
People are keyed by `email_sha256` (the marts are joined to dim_people for that)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

STAGES = ("lead", "mql", "sql", "opportunity", "customer")
PAIRS = [("lead", "mql"), ("mql", "sql"), ("sql", "opportunity"), ("opportunity", "customer")]
CONVERSION_PAIRS = PAIRS + [("lead", "customer")]
STUCK_AFTER_DAYS = 30.0
COLD_AFTER_DAYS = 90.0
# what docs/metrics.md §2 calls disqualified or recycled, among the values the sandbox CRMs use
SF_DISQUALIFIED = {"Closed - Not Converted"}
# HubSpot hs_analytics_source -> channel (docs/metrics.md §3: the channel of a touch without a campaign)
HS_SOURCE_CHANNEL = {"PAID_SEARCH": "paid_search", "PAID_SOCIAL": "paid_social", "ORGANIC_SEARCH": "organic",
                     "SOCIAL_MEDIA": "content", "EMAIL_MARKETING": "email", "REFERRALS": "referral",
                     "OFFLINE": "event", "OTHER_CAMPAIGNS": "partner", "DIRECT_TRAFFIC": "organic"}
HS_DISQUALIFIED = {"UNQUALIFIED", "BAD_TIMING"}
SF_CLOSED = {"Closed Won", "Closed Lost"}


def ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC)
    v = value.strip()
    if len(v) == 10:
        return datetime.fromisoformat(v + "T00:00:00+00:00")
    v = v.replace("Z", "+00:00")
    if v[-5] in "+-" and v[-3] != ":":
        v = v[:-2] + ":" + v[-2:]
    return datetime.fromisoformat(v)


def days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def month(t: datetime | date) -> date:
    return date(t.year, t.month, 1)


def week(t: datetime) -> date:
    d = t.astimezone(UTC).date()
    return d - timedelta(days=d.weekday())


def pct(values: list[float], p: float) -> float | None:
    """percentile_cont."""
    if not values:
        return None
    s = sorted(values)
    pos = p * (len(s) - 1)
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def ratio(n: float, d: float) -> float | None:
    return None if not d else n / d


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class World:
    def __init__(self, dataset: Path | str):
        self.dir = Path(dataset)
        meta = json.loads((self.dir / "world.json").read_text())
        self.as_of = ts(meta["clock"])
        self.people = _jsonl(self.dir / "truth" / "people.jsonl")
        self.touches = _jsonl(self.dir / "truth" / "touches.jsonl")
        self.opps = _jsonl(self.dir / "truth" / "opportunities.jsonl")
        sf = lambda name: _jsonl(self.dir / "salesforce" / f"{name}.jsonl")  # noqa: E731
        hs = lambda name: _jsonl(self.dir / "hubspot" / f"{name}.jsonl")  # noqa: E731
        self.sf_users = sf("User")
        self.hs_owners = hs("owners")
        self.sf_opps = {o["Id"]: o for o in sf("Opportunity") if not o["IsDeleted"]}
        self.sf_opp_history = [h for h in sf("OpportunityHistory") if not h["IsDeleted"]]
        self.hs_deals = {d["id"]: d for d in hs("deals") if not d.get("archived")}
        # A restricted integration user (heavy mess, sandbox/world/sf_org.py) cannot read private Task/Event
        # rows: the run warns and the marts are what it can read, so the oracle counts what it can read.
        org = self.dir / "salesforce_org.json"
        private = json.loads(org.read_text()).get("private_rows", {}) if org.exists() else {}
        hidden = {i for ids in private.values() for i in ids}
        self.tasks = [t for t in sf("Task") if not t["IsDeleted"] and t["Id"] not in hidden]
        self.events = [e for e in sf("Event") if not e["IsDeleted"] and e["Id"] not in hidden]
        self.calls = [x for x in hs("calls") if not x.get("archived")]
        self.emails = [x for x in hs("emails") if not x.get("archived")]
        self.meetings = [x for x in hs("meetings") if not x.get("archived")]
        self.associations = hs("associations")
        self.hs_contacts = {c["id"]: c for c in hs("contacts") if not c.get("archived")}
        self.sf_leads = [x for x in sf("Lead") if not x["IsDeleted"]]
        self.contact_merges = hs("contact_merges")
        self.participations = hs("marketing_event_participations")
        # reps: one id per human, the Salesforce User Id when the rep has one
        self.rep_by_email: dict[str, str] = {}
        for u in self.sf_users:
            self.rep_by_email.setdefault(u["Email"].strip().lower(), u["Id"])
        self.rep_of_hs_owner: dict[str, str] = {}
        self.hs_owner_team: dict[str, str | None] = {}
        for o in self.hs_owners:
            email = (o.get("email") or "").strip().lower()
            self.rep_by_email.setdefault(email, o["id"])
            self.rep_of_hs_owner[o["id"]] = self.rep_by_email[email]
            teams = o.get("teams") or []
            primary = [t for t in teams if t.get("primary")] or teams
            self.hs_owner_team[o["id"]] = primary[0]["name"] if primary else None
        self.sf_user_team = {u["Id"]: u.get("Department") for u in self.sf_users}

    # ------------------------------------------------------------------ people and funnel
    def person_rows(self) -> dict[str, dict]:
        first_touch: dict[str, dict] = {}
        for t in sorted(self.touches, key=lambda t: (t["touched_at"], t["touchpoint_id"])):
            first_touch.setdefault(t["person_key"], t)
        out = {}
        for p in self.people:
            ft = first_touch.get(p["person_key"])
            out[p["email_sha256"]] = {
                "stages": {s: ts(p["stages"][s]) for s in STAGES},
                "inferred": p["inferred"],
                "current_stage": p["current_stage"],
                "channel": ft["channel"] if ft else "unknown",
                "campaign_id": ft["campaign_id"] if ft else "unknown",
                "owner_id": self.rep_by_email.get(p["owner_email"]),
            }
        return out

    def funnel_stage_volume(self) -> dict:
        out: dict = defaultdict(lambda: {"entered_count": 0, "entered_inferred_count": 0})
        for p in self.person_rows().values():
            for s in STAGES:
                t = p["stages"][s]
                if t is None:
                    continue
                row = out[(month(t), s, p["channel"], p["campaign_id"])]
                row["entered_count"] += 1
                row["entered_inferred_count"] += int(p["inferred"][s])
        return dict(out)

    def fct_stage_transitions(self) -> dict:
        out = {}
        for key, p in self.person_rows().items():
            for a, b in PAIRS:
                ta, tb = p["stages"][a], p["stages"][b]
                if ta is None or tb is None:
                    continue
                out[(key, a, b)] = {"from_at": ta, "to_at": tb, "days": days(ta, tb),
                                    "is_inferred": p["inferred"][a] or p["inferred"][b],
                                    "channel": p["channel"], "campaign_id": p["campaign_id"]}
        return out

    def funnel_conversion(self) -> dict:
        out: dict = defaultdict(lambda: {"cohort_count": 0, "converted_count": 0})
        for p in self.person_rows().values():
            for a, b in CONVERSION_PAIRS:
                ta, tb = p["stages"][a], p["stages"][b]
                if ta is None:
                    continue
                row = out[(month(ta), a, b, p["channel"], p["campaign_id"])]
                row["cohort_count"] += 1
                row["converted_count"] += int(tb is not None and ta <= tb <= self.as_of)
        for row in out.values():
            row["conversion_rate"] = ratio(row["converted_count"], row["cohort_count"])
        return dict(out)

    def funnel_velocity(self) -> dict:
        groups: dict = defaultdict(list)
        for (_key, a, b), t in self.fct_stage_transitions().items():
            if t["is_inferred"]:
                continue
            groups[(a, b, t["channel"])].append(t["days"])
            groups[(a, b, "all")].append(t["days"])
        return {k: {"transition_count": len(v), "mean_days": sum(v) / len(v), "median_days": pct(v, 0.5),
                    "p90_days": pct(v, 0.9)} for k, v in groups.items()}

    def person_health(self) -> dict[str, dict]:
        """metrics.md §2 "Stuck", per person below customer (keyed by email_sha256): the last touch, rep
        activity on one of their records or stage entry at or before the as-of time, and their status --
        disqualified (a record currently holds a disqualified / recycled status), else lost (on
        opportunities, none open), else cold (nothing within COLD_AFTER_DAYS), else active."""
        of_record: dict[str, str] = {}
        for p in self.people:
            for kind in ("sf_lead_ids", "sf_contact_ids", "hs_contact_ids"):
                for rid in p.get(kind, []):
                    of_record[rid] = p["email_sha256"]
        key_of = {p["person_key"]: p["email_sha256"] for p in self.people}
        signs: dict[str, list[datetime]] = defaultdict(list)
        for t in self.touches:
            if t["person_key"] in key_of:
                signs[key_of[t["person_key"]]].append(ts(t["touched_at"]))
        for a in self.activities():
            for who in {of_record[w] for w in a["who"] if w in of_record}:
                signs[who].append(a["at"])
        for p in self.people:
            signs[p["email_sha256"]] += [ts(v) for v in p["stages"].values() if v is not None]
        disqualified: set[str] = set()
        for lead in self.sf_leads:
            if lead["Status"] in SF_DISQUALIFIED and lead["Id"] in of_record:
                disqualified.add(of_record[lead["Id"]])
        for cid, c in self.hs_contacts.items():
            props = c["properties"]
            if (props.get("hs_lead_status") in HS_DISQUALIFIED or props.get("lifecyclestage") in HS_DISQUALIFIED) \
                    and cid in of_record:
                disqualified.add(of_record[cid])
        opps: dict[str, list[bool]] = defaultdict(list)
        for o in self.opps:
            for k in o["person_keys"]:
                if k in key_of:
                    opps[key_of[k]].append(o["is_closed"])
        cold_before = self.as_of - timedelta(days=COLD_AFTER_DAYS)
        out = {}
        for key, p in self.person_rows().items():
            if p["current_stage"] in (None, "customer"):
                continue
            last = max((t for t in signs[key] if t <= self.as_of), default=None)
            if key in disqualified:
                status = "disqualified"
            elif opps.get(key) and all(opps[key]):
                status = "lost"
            elif last is None or last < cold_before:
                status = "cold"
            else:
                status = "active"
            out[key] = {"status": status, "last_activity_at": last, "channel": p["channel"],
                        "current_stage": p["current_stage"]}
        return out

    def stuck_people(self) -> dict:
        velocity = self.funnel_velocity()
        health = self.person_health()
        out = {}
        for key, p in self.person_rows().items():
            stage = p["current_stage"]
            if stage in (None, "customer") or health[key]["status"] != "active":
                continue
            nxt = STAGES[STAGES.index(stage) + 1]
            v = velocity.get((stage, nxt, "all"))
            threshold = v["p90_days"] if v and v["transition_count"] >= 20 else STUCK_AFTER_DAYS
            entered = p["stages"][stage]
            d = days(entered, self.as_of)
            if d > threshold:
                out[(key,)] = {"current_stage": stage, "entered_stage_at": entered, "days_in_stage": d,
                               "threshold_days": threshold, "last_activity_at": health[key]["last_activity_at"]}
        return out

    def funnel_stage_health(self) -> dict:
        stuck = self.stuck_people()
        out: dict = defaultdict(lambda: {"people": 0, "active_count": 0, "stuck_count": 0, "cold_count": 0,
                                         "disqualified_count": 0, "lost_count": 0})
        for key, h in self.person_health().items():
            row = out[(h["current_stage"], h["channel"])]
            row["people"] += 1
            row[f"{h['status']}_count"] += 1
            row["stuck_count"] += int((key,) in stuck)
        return dict(out)

    # ------------------------------------------------------------------ opportunities
    def opportunity_rows(self) -> dict[str, dict]:
        out = {}
        for o in self.opps:
            if o["source_system"] == "salesforce":
                raw = self.sf_opps[o["source_id"]]
                owner = raw["OwnerId"]
                team = self.sf_user_team.get(owner)
                region = raw.get("Region__c")
                pipeline = "salesforce"
            else:
                raw = self.hs_deals[o["source_id"]]["properties"]
                owner = self.rep_of_hs_owner.get(raw.get("hubspot_owner_id"), raw.get("hubspot_owner_id"))
                team = self.hs_owner_team.get(raw.get("hubspot_owner_id"))
                region = raw.get("fh_region")
                pipeline = raw.get("pipeline")
            out[o["source_id"]] = {
                "source_system": o["source_system"], "created_at": ts(o["created_at"]), "closed_at": ts(o["closed_at"]),
                "close_date": date.fromisoformat(o["close_date"]), "stage": o["stage"], "is_closed": o["is_closed"],
                "is_won": o["is_won"], "amount": None if o["amount"] is None else float(o["amount"]),
                "currency": o.get("currency", "USD"),
                # the generator's own rates (sandbox/world/currency.py): METRICS "Money"
                "amount_corporate": None if o.get("amount_corporate", o["amount"]) is None
                else float(o.get("amount_corporate", o["amount"])),
                "probability": o["probability"], "product_family": o["product_family"] or "unspecified",
                "competitor": o["competitor"] or "unspecified", "primary_campaign_id": o["campaign_id"],
                "owner_id": owner, "team": team or "unspecified", "region": region or "unspecified",
                "pipeline": pipeline,
            }
        return out

    def reopened_opportunities(self) -> dict[str, dict]:
        """Opportunities whose stage history enters a closed stage and later leaves it, from the dataset
        files alone: {source_id: {"reopened_open": open now, "is_closed", "closed_at"}}. metrics.md §4:
        closed_at = the last history entry into a closed stage; open now means open, closed_at null."""
        hs_closed = {s["id"] for p in json.loads((self.dir / "hubspot" / "pipelines.json").read_text())["deals"]
                     for s in p["stages"] if str(s.get("metadata", {}).get("isClosed")).lower() == "true"}
        histories: dict[str, tuple[bool, list[tuple[datetime, bool]]]] = {}
        by_opp: dict[str, list] = defaultdict(list)
        for h in self.sf_opp_history:
            by_opp[h["OpportunityId"]].append((ts(h["CreatedDate"]), h["Id"], h["StageName"] in SF_CLOSED))
        for opp_id, rows in by_opp.items():
            if opp_id in self.sf_opps:
                histories[opp_id] = (self.sf_opps[opp_id]["IsClosed"], [(t, c) for t, _i, c in sorted(rows)])
        for d in self.hs_deals.values():
            changes = d.get("propertiesWithHistory", {}).get("dealstage", [])
            rows = sorted((ts(ch["timestamp"]), ch["value"] in hs_closed) for ch in changes)
            histories[d["id"]] = (d["properties"].get("dealstage") in hs_closed, rows)
        out = {}
        for opp_id, (closed_now, rows) in histories.items():
            flags = [c for _t, c in rows]
            if not any(flags[i] and not flags[i + 1] for i in range(len(flags) - 1)):
                continue
            out[opp_id] = {"reopened_open": not closed_now, "is_closed": closed_now,
                           "first_closed_at": min(t for t, c in rows if c),
                           "closed_at": max(t for t, c in rows if c) if closed_now else None}
        return out

    def win_rates(self) -> dict:
        acc: dict = defaultdict(lambda: {"won_count": 0, "lost_count": 0, "won_amount": 0.0, "lost_amount": 0.0})
        for o in self.opportunity_rows().values():
            if not o["is_closed"]:
                continue
            dims = {"overall": "all", "product": o["product_family"], "team": o["team"], "owner": o["owner_id"],
                    "campaign": o["primary_campaign_id"], "competitor": o["competitor"], "region": o["region"],
                    "source_system": o["source_system"]}
            for dim, value in dims.items():
                row = acc[(month(o["close_date"]), dim, value or "unspecified")]
                if o["is_won"]:
                    row["won_count"] += 1
                    row["won_amount"] += o["amount_corporate"] or 0
                else:
                    row["lost_count"] += 1
                    row["lost_amount"] += o["amount_corporate"] or 0
        for row in acc.values():
            row["win_rate"] = ratio(row["won_count"], row["won_count"] + row["lost_count"])
            row["amount_win_rate"] = ratio(row["won_amount"], row["won_amount"] + row["lost_amount"])
        return dict(acc)

    def revenue_forecast(self) -> dict:
        acc: dict = defaultdict(lambda: {"won_amount": 0.0, "open_count": 0, "open_amount": 0.0,
                                         "weighted_open_amount": 0.0})
        for o in self.opportunity_rows().values():
            row = acc[(month(o["close_date"]),)]
            if o["is_won"]:
                row["won_amount"] += o["amount_corporate"] or 0
            if not o["is_closed"]:
                row["open_count"] += 1
                row["open_amount"] += o["amount_corporate"] or 0
                row["weighted_open_amount"] += (o["amount_corporate"] or 0) * o["probability"]
        for row in acc.values():
            row["forecast_amount"] = row["won_amount"] + row["weighted_open_amount"]
        return dict(acc)

    def open_pipeline(self) -> dict:
        groups: dict = defaultdict(list)
        for o in self.opportunity_rows().values():
            if not o["is_closed"]:
                groups[(o["stage"], o["owner_id"])].append(o)
        return {k: {"open_count": len(v), "open_amount": sum(o["amount_corporate"] or 0 for o in v),
                    "weighted_amount": sum((o["amount_corporate"] or 0) * o["probability"] for o in v),
                    "avg_age_days": sum(days(o["created_at"], self.as_of) for o in v) / len(v)}
                for k, v in groups.items()}

    def pipeline_velocity(self) -> dict:
        opps = list(self.opportunity_rows().values())
        m = min(month(o["created_at"]) for o in opps)
        last = month(self.as_of)
        out = {}
        while m <= last:
            end = datetime(m.year + (m.month == 12), m.month % 12 + 1, 1, tzinfo=UTC)
            open_count = sum(1 for o in opps
                             if o["created_at"] < end and (o["closed_at"] is None or o["closed_at"] >= end))
            # won / lost in the close month: docs/metrics.md's "month of its close_date"
            closed = [o for o in opps if o["is_closed"] and month(o["close_date"]) == m]
            won = [o for o in closed if o["is_won"]]
            lost = len(closed) - len(won)
            win_rate = ratio(len(won), len(closed))
            amounts = [o["amount_corporate"] for o in won if o["amount_corporate"] is not None]
            avg_won = sum(amounts) / len(amounts) if amounts else None
            cycle = sum(days(o["created_at"], o["closed_at"]) for o in won) / len(won) if won else None
            velocity = (open_count * avg_won * win_rate / cycle
                        if None not in (avg_won, win_rate, cycle) and cycle else None)
            out[(m,)] = {"open_count": open_count, "won_count": len(won), "lost_count": lost, "win_rate": win_rate,
                         "avg_won_amount": avg_won, "avg_sales_cycle_days": cycle, "pipeline_velocity": velocity}
            m = end.date()
        return out

    def stage_stints(self) -> list[tuple[str, str, str, datetime, datetime | None]]:
        """(opportunity, pipeline, stage, entered, exited) with consecutive identical stages collapsed."""
        rows: dict[str, list] = defaultdict(list)
        for h in self.sf_opp_history:
            if h["OpportunityId"] in self.sf_opps:
                rows[h["OpportunityId"]].append((ts(h["CreatedDate"]), h["Id"], h["StageName"], "salesforce"))
        for d in self.hs_deals.values():
            for i, ch in enumerate(d.get("propertiesWithHistory", {}).get("dealstage", [])):
                rows[d["id"]].append((ts(ch["timestamp"]), f"{i:06d}", ch["value"], d["properties"]["pipeline"]))
        out = []
        for opp, hist in rows.items():
            hist.sort(key=lambda r: (r[0], r[1]))
            stints = []
            for t, _k, stage, pipeline in hist:
                if not stints or stints[-1][2] != stage:
                    stints.append([opp, pipeline, stage, t, None])
            for a, b in zip(stints, stints[1:], strict=False):
                a[4] = b[3]
            out += [tuple(s) for s in stints]
        return out

    def opportunity_stage_velocity(self) -> dict:
        groups: dict = defaultdict(list)
        for _opp, pipeline, stage, entered, exited in self.stage_stints():
            if exited is not None:
                groups[(pipeline, stage)].append(days(entered, exited))
        return {k: {"n": len(v), "mean_days": sum(v) / len(v), "median_days": pct(v, 0.5), "p90_days": pct(v, 0.9)}
                for k, v in groups.items()}

    # ------------------------------------------------------------------ activities
    def activities(self) -> list[dict]:
        deal_of: dict[tuple[str, str], str] = {}
        contacts_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a in self.associations:
            if a["toObjectType"] == "contacts" and a["fromObjectType"] in ("calls", "emails", "meetings"):
                contacts_of[(a["fromObjectType"], a["fromObjectId"])].append(a["toObjectId"])
            if a["fromObjectType"] == "contacts" and a["toObjectType"] in ("calls", "emails", "meetings"):
                contacts_of[(a["toObjectType"], a["toObjectId"])].append(a["fromObjectId"])
        for a in sorted(self.associations, key=lambda a: a["toObjectId"]):
            if a["toObjectType"] == "deals" and a["fromObjectType"] in ("calls", "emails", "meetings"):
                deal_of.setdefault((a["fromObjectType"], a["fromObjectId"]), a["toObjectId"])
            if a["fromObjectType"] == "deals" and a["toObjectType"] in ("calls", "emails", "meetings"):
                deal_of.setdefault((a["toObjectType"], a["toObjectId"]), a["fromObjectId"])
        out = []
        for t in self.tasks:
            kind = (t.get("TaskSubtype") or t.get("Type") or "").lower()
            if kind not in ("call", "email"):
                continue
            when = ts(t["ActivityDate"]) if t.get("ActivityDate") else ts(t["CreatedDate"])
            out.append({"type": kind, "owner": t["OwnerId"], "at": when, "completed": bool(t["IsClosed"]),
                        "who": [t.get("WhoId")], "opp": t.get("WhatId") if t.get("WhatId") in self.sf_opps else None,
                        "linked": t.get("WhatId") in self.sf_opps,
                        "duration": (t.get("CallDurationInSeconds") or 0) / 60 if kind == "call" else None,
                        "opened": None, "replied": None})
        for e in self.events:
            start = ts(e.get("StartDateTime") or e.get("ActivityDateTime"))
            end = ts(e.get("EndDateTime")) or start
            out.append({"type": "meeting", "owner": e["OwnerId"], "at": start, "completed": end <= self.as_of,
                        "who": [e.get("WhoId")], "opp": e.get("WhatId") if e.get("WhatId") in self.sf_opps else None,
                        "linked": e.get("WhatId") in self.sf_opps, "duration": e.get("DurationInMinutes") or 0,
                        "opened": None, "replied": None})
        rep = lambda p: self.rep_of_hs_owner.get(p.get("hubspot_owner_id"), p.get("hubspot_owner_id"))  # noqa: E731
        for c in self.calls:
            p = c["properties"]
            out.append({"type": "call", "owner": rep(p), "at": ts(p["hs_timestamp"]),
                        "completed": p.get("hs_call_status") == "COMPLETED",
                        "who": contacts_of.get(("calls", c["id"]), []),
                        "opp": deal_of.get(("calls", c["id"])) if deal_of.get(("calls", c["id"])) in self.hs_deals
                        else None,
                        "linked": deal_of.get(("calls", c["id"])) in self.hs_deals,
                        "duration": float(p.get("hs_call_duration") or 0) / 60000, "opened": None, "replied": None})
        for m in self.emails:
            p = m["properties"]
            if p.get("hs_email_direction") == "INCOMING_EMAIL":
                continue
            out.append({"type": "email", "owner": rep(p), "at": ts(p["hs_timestamp"]),
                        "completed": p.get("hs_email_status") == "SENT",
                        "who": contacts_of.get(("emails", m["id"]), []),
                        "opp": deal_of.get(("emails", m["id"])) if deal_of.get(("emails", m["id"])) in self.hs_deals
                        else None,
                        "linked": deal_of.get(("emails", m["id"])) in self.hs_deals, "duration": None,
                        "opened": int(float(p.get("hs_email_open_count") or 0) > 0),
                        "replied": int(float(p.get("hs_email_reply_count") or 0) > 0)})
        for m in self.meetings:
            p = m["properties"]
            start, end = ts(p.get("hs_meeting_start_time")), ts(p.get("hs_meeting_end_time"))
            out.append({"type": "meeting", "owner": rep(p), "at": start or ts(p["hs_timestamp"]),
                        "completed": p.get("hs_meeting_outcome") == "COMPLETED",
                        "who": contacts_of.get(("meetings", m["id"]), []),
                        "opp": deal_of.get(("meetings", m["id"])) if deal_of.get(("meetings", m["id"])) in self.hs_deals
                        else None,
                        "linked": deal_of.get(("meetings", m["id"])) in self.hs_deals,
                        "duration": days(start, end) * 1440 if start and end else 0, "opened": None, "replied": None})
        return out

    def sales_activity(self) -> dict:
        groups: dict = defaultdict(list)
        for a in self.activities():
            groups[(week(a["at"]), a["owner"], a["type"])].append(a)
        out = {}
        for k, v in groups.items():
            opened = [a["opened"] for a in v if a["opened"] is not None]
            replied = [a["replied"] for a in v if a["replied"] is not None]
            out[k] = {"activity_count": len(v), "completed_count": sum(a["completed"] for a in v),
                      "linked_to_opportunity_count": sum(a["linked"] for a in v),
                      "duration_minutes": sum(a["duration"] for a in v) if k[2] != "email" else None,
                      "opened_count": sum(opened) if (k[2] == "email" and opened) else None,
                      "replied_count": sum(replied) if (k[2] == "email" and replied) else None}
        return out

    def rep_performance(self, dim_people_owner: dict[str, tuple[str | None, datetime]]) -> dict:
        """dim_people_owner: email_hash -> (owner_id, created_at) as the marts see people (owner and
        creation are record attributes, not funnel definitions)."""
        acc: dict = defaultdict(lambda: defaultdict(float))
        cycles: dict = defaultdict(list)
        people = self.person_rows()
        for key, (owner, created) in dim_people_owner.items():
            acc[(month(created), owner)]["people_owned_new"] += 1
            p = people.get(key)
            if p and p["stages"]["mql"] is not None:
                acc[(month(p["stages"]["mql"]), owner)]["mqls"] += 1
        for o in self.opportunity_rows().values():
            acc[(month(o["created_at"]), o["owner_id"])]["opportunities_created"] += 1
            if o["is_closed"]:
                row = acc[(month(o["close_date"]), o["owner_id"])]
                if o["is_won"]:
                    row["won_count"] += 1
                    row["won_amount"] += o["amount_corporate"] or 0
                    cycles[(month(o["close_date"]), o["owner_id"])].append(days(o["created_at"], o["closed_at"]))
                else:
                    row["lost_count"] += 1
        for a in self.activities():
            column = {"call": "calls", "email": "emails", "meeting": "meetings"}[a["type"]]
            acc[(month(a["at"]), a["owner"])][column] += 1
        out = {}
        for k, row in acc.items():
            c = cycles.get(k)
            out[k] = {f: row.get(f, 0) for f in ("people_owned_new", "mqls", "opportunities_created", "won_count",
                                                  "won_amount", "lost_count", "calls", "emails", "meetings")}
            out[k]["win_rate"] = ratio(row.get("won_count", 0), row.get("won_count", 0) + row.get("lost_count", 0))
            out[k]["avg_sales_cycle_days"] = sum(c) / len(c) if c else None
        return out
