"""An independent Python implementation of METRICS §5 (pipeline_snapshots, pipeline_waterfall,
forecast_accuracy) over what the CRMs served at each extraction (the world's dataset files, one snapshot
per extraction clock) and the world's ground truth -- never over the warehouse or the dbt SQL.

The versions a warehouse holds are the records the emulators served at each extraction: one version per
record and extraction whose version time (Salesforce SystemModstamp, HubSpot updatedAt / archivedAt) is new.
The state of an opportunity at an instant t (METRICS §5, read as docs/models.md "History" says):
  * fields from the latest version with version time <= t; before its first version (a record older than
    the first extraction) from that first version;
  * the stage from stage history (Salesforce OpportunityHistory rows, HubSpot `dealstage` history): the last
    entry at or before t, else the version's stage; closed / won from the stage (seed / pipelines);
  * probability: the version's when its stage is the state's, else the stage's default;
  * amount in the corporate currency: Salesforce at the dated rate of the state's close date, HubSpot its
    amount_in_home_currency (sandbox/world/currency.py is the generator's own rate table);
  * a deleted / archived version: the opportunity does not exist then; nor before its creation.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from funnelhouse.core.settings import PROJECT_ROOT
from sandbox.world.currency import CORPORATE, corporate_amount_sf

WEEK = timedelta(days=7)


def ts(text: str | None) -> datetime | None:
    if text is None or text == "":
        return None
    s = str(text)
    if s.isdigit():
        return datetime.fromtimestamp(int(s) / 1000, UTC)
    s = s.replace("Z", "+00:00")
    if len(s) > 5 and s[-5] in "+-" and s[-3] != ":":
        s = s[:-2] + ":" + s[-2:]
    return datetime.fromisoformat(s).astimezone(UTC)


def day(text: str | None) -> date | None:
    if not text:
        return None
    s = str(text)
    if s.isdigit():
        return datetime.fromtimestamp(int(s) / 1000, UTC).date()
    return date.fromisoformat(s[:10])


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def at_midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def month(d: date) -> date:
    return d.replace(day=1)


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Version:
    at: datetime
    deleted: bool
    stage: str | None
    pipeline: str
    amount: float | None
    home_amount: float | None
    currency: str
    probability: float | None
    close_date: date | None
    owner: str | None


@dataclass
class Opp:
    opp_id: str
    system: str
    created: datetime
    versions: list[Version] = field(default_factory=list)
    stages: list[tuple[datetime, str, str]] = field(default_factory=list)  # (entered, order key, stage)


@dataclass
class State:
    exists: bool
    is_open: bool
    stage: str | None
    is_closed: bool
    is_won: bool
    amount_corporate: float | None
    probability: float | None
    close_date: date | None
    owner: str | None


class History:
    """Built from the dataset snapshot of each extraction (oldest first) and the world's as-of time."""

    def __init__(self, snapshots: list[Path], as_of: datetime):
        self.as_of = as_of
        self.sf_meta = {}
        with open(PROJECT_ROOT / "dbt_project" / "seeds" / "opportunity_stage_mapping.csv") as f:
            for row in csv.DictReader(f):
                if row["source_system"] == "salesforce":
                    self.sf_meta[row["stage"]] = (row["is_closed"] == "true", row["is_won"] == "true",
                                                  float(row["default_probability"]))
        self.hs_meta = {}
        pipelines = json.loads((snapshots[-1] / "hubspot" / "pipelines.json").read_text())["deals"]
        for p in pipelines:
            for s in p["stages"]:
                closed = str(s["metadata"].get("isClosed")).lower() == "true"
                prob = float(s["metadata"]["probability"])
                self.hs_meta[(p["id"], s["id"])] = (closed, closed and prob >= 1, prob)
        self.opps: dict[str, Opp] = {}
        for snap in snapshots:
            self._read(snap)
        for o in self.opps.values():
            o.versions.sort(key=lambda v: v.at)
            o.stages.sort(key=lambda s: (s[0], s[1]))

    def _opp(self, opp_id: str, system: str, created: datetime) -> Opp:
        o = self.opps.get(opp_id)
        if o is None:
            o = self.opps[opp_id] = Opp(opp_id, system, created)
        o.created = min(o.created, created)
        return o

    def _add(self, o: Opp, v: Version) -> None:
        if all(x.at != v.at for x in o.versions):  # the raw key is (id, version time): a re-read is a no-op
            o.versions.append(v)

    def _read(self, snap: Path) -> None:
        # stage history: the latest snapshot of every history row wins (rows never change their stage)
        for r in read_jsonl(snap / "salesforce" / "Opportunity.jsonl"):
            o = self._opp(r["Id"], "salesforce", ts(r["CreatedDate"]))
            self._add(o, Version(ts(r["SystemModstamp"]), bool(r["IsDeleted"]), r["StageName"], "salesforce",
                                 r["Amount"], None, r.get("CurrencyIsoCode") or CORPORATE,
                                 None if r["Probability"] is None else r["Probability"] / 100,
                                 day(r["CloseDate"]), r["OwnerId"]))
        sf_rows = {}
        for r in read_jsonl(snap / "salesforce" / "OpportunityHistory.jsonl"):
            if r.get("StageName"):
                sf_rows[r["Id"]] = (r["OpportunityId"], ts(r["CreatedDate"]), r["StageName"])
        for rid, (opp_id, at, stage) in sf_rows.items():
            if opp_id in self.opps:
                o = self.opps[opp_id]
                if (at, rid, stage) not in o.stages:
                    o.stages.append((at, rid, stage))
        served = set()
        for r in read_jsonl(snap / "hubspot" / "deals.jsonl"):
            p = r["properties"]
            o = self._opp(r["id"], "hubspot", ts(p.get("createdate") or r["createdAt"]))
            archived = bool(r.get("archived"))
            at = ts(r["archivedAt"]) if archived and r.get("archivedAt") else ts(r["updatedAt"])
            prob = p.get("hs_deal_stage_probability")
            home = p.get("amount_in_home_currency")
            self._add(o, Version(at, archived, p.get("dealstage"), p.get("pipeline"),
                                 None if p.get("amount") in (None, "") else float(p["amount"]),
                                 None if home in (None, "") else float(home),
                                 p.get("deal_currency_code") or CORPORATE,
                                 None if prob in (None, "") else float(prob), day(p.get("closedate")),
                                 p.get("hubspot_owner_id")))
            history = (r.get("propertiesWithHistory") or {}).get("dealstage") or []
            o.stages = [(ts(h["timestamp"]), f"{i + 1:06d}", h["value"]) for i, h in enumerate(history) if h["value"]]
            served.add(r["id"])
        # a deal merged away since an earlier extraction vanishes from the API; the extractor stores a
        # tombstone at the merge time
        for m in read_jsonl(snap / "hubspot" / "object_merges.jsonl"):
            o = self.opps.get(m["mergedId"]) if m["objectType"] == "deals" else None
            if o is not None and m["mergedId"] not in served and o.versions:
                last = max(o.versions, key=lambda v: v.at)
                at = max(ts(m["mergedAt"]), last.at)
                if not last.deleted:
                    self._add(o, Version(at, True, last.stage, last.pipeline, last.amount, last.home_amount,
                                         last.currency, last.probability, last.close_date, last.owner))

    # --- the state at an instant -----------------------------------------------------------------------
    def state(self, o: Opp, t: datetime) -> State | None:
        if not o.versions or t < min(o.created, o.versions[0].at):
            return None
        v = o.versions[0]
        for x in o.versions:
            if x.at <= t:
                v = x
        stage = v.stage
        for entered, _key, s in o.stages:
            if entered <= t:
                stage = s
        if v.deleted:
            return State(False, False, stage, False, False, None, None, v.close_date, v.owner)
        if o.system == "salesforce":
            meta = self.sf_meta.get(stage)
            amount = corporate_amount_sf(v.amount, v.currency, int(at_midnight(v.close_date).timestamp())) \
                if v.close_date and v.amount is not None else None
        else:
            meta = self.hs_meta.get((v.pipeline, stage))
            amount = v.home_amount if v.home_amount is not None else v.amount
        closed, won, default_prob = meta if meta else (False, False, None)
        prob = (v.probability if v.probability is not None else default_prob) if stage == v.stage else \
            (default_prob if default_prob is not None else v.probability)
        return State(True, not closed, stage, closed, won, amount, prob, v.close_date, v.owner)

    # --- the marts ---------------------------------------------------------------------------------------
    def weeks(self) -> list[date]:
        first = monday(min(min(o.created, o.versions[0].at) for o in self.opps.values() if o.versions).date())
        last = monday(self.as_of.date())
        out, w = [], first
        while w <= last:
            out.append(w)
            w += WEEK
        return out

    def week_rows(self) -> dict[date, list[tuple[str, State | None, State | None]]]:
        """Per week: (opportunity, state at the previous week end, state at the week end) of every
        opportunity open at either end or existing at the end and not at the start."""
        out: dict[date, list] = {}
        for w in self.weeks():
            end = at_midnight(w) + WEEK
            rows = []
            for o in self.opps.values():
                now, before = self.state(o, end), self.state(o, end - WEEK)
                is_open = bool(now and now.is_open)
                was_open = bool(before and before.is_open)
                exists, existed = bool(now and now.exists), bool(before and before.exists)
                if is_open or was_open or (exists and not existed):
                    rows.append((o.opp_id, before, now))
            out[w] = rows
        return out

    def snapshots(self) -> dict[tuple[date, str], dict]:
        out = {}
        for w, rows in self.week_rows().items():
            for opp_id, _before, now in rows:
                if now and now.exists:
                    out[(w, opp_id)] = {"stage": now.stage, "is_closed": now.is_closed, "is_won": now.is_won,
                                        "amount_corporate": now.amount_corporate, "probability": now.probability,
                                        "close_date": now.close_date}
        return out

    def waterfall(self) -> dict[date, dict]:
        out = {}
        for w, rows in self.week_rows().items():
            f = defaultdict(float)
            for _opp_id, before, now in rows:
                a = (before.amount_corporate or 0) if before else 0
                b = (now.amount_corporate or 0) if now else 0
                was_open, is_open = bool(before and before.is_open), bool(now and now.is_open)
                existed, exists = bool(before and before.exists), bool(now and now.exists)
                if was_open:
                    f["opening_amount"] += a
                    f["opening_count"] += 1
                if is_open:
                    f["closing_amount"] += b
                    f["closing_count"] += 1
                if was_open and is_open:
                    f["amount_change"] += b - a
                    if month(now.close_date) > month(before.close_date):
                        f["slipped_amount"] += b
                elif is_open:
                    f["reopened_amount" if existed else "created_amount"] += b
                    f["created_count"] += 0 if existed else 1
                elif was_open and not exists:
                    f["removed_amount"] += a
                elif exists:  # closed in the week: open before, or created in the week
                    kind = "won" if now.is_won else "lost"
                    if was_open:
                        f[f"{kind}_amount"] += a
                    else:
                        f["created_amount"] += b
                        f["created_count"] += 1
                        f[f"{kind}_amount"] += b
                    f[f"{kind}_count"] += 1
            out[w] = dict(f)
        return out

    def forecast_accuracy(self, truth_opps: list[dict]) -> dict[tuple[date, int], dict]:
        actual = defaultdict(float)
        for o in truth_opps:
            if o["is_won"] and o["amount_corporate"] is not None:
                actual[month(date.fromisoformat(o["close_date"]))] += o["amount_corporate"]
        weeks = self.weeks()
        first_end, last_end = at_midnight(weeks[0]) + WEEK, at_midnight(weeks[-1]) + WEEK
        out = {}
        m = month(weeks[0])
        while m <= month(weeks[-1] + timedelta(days=7 * 15)):
            for k in range(13):
                t = at_midnight(monday(m)) - k * WEEK
                if not first_end <= t <= last_end:
                    continue
                forecast = 0.0
                for o in self.opps.values():
                    s = self.state(o, t)
                    if s is None or not s.exists or s.close_date is None or month(s.close_date) != m:
                        continue
                    if s.is_won:
                        forecast += s.amount_corporate or 0
                    elif s.is_open and s.amount_corporate is not None and s.probability is not None:
                        forecast += s.amount_corporate * s.probability
                a = actual.get(m, 0.0)
                out[(m, k)] = {"snapshot_at": t, "forecast_amount": forecast, "actual_won_amount": a,
                               "abs_pct_error": abs(forecast - a) / a if a else None}
            m = (m + timedelta(days=32)).replace(day=1)
        return out
