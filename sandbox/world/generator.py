"""generate() / advance(): stream the world's snapshot at its clock into the dataset folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import IO, Any

from . import hs_custom
from .clock import DAY, INITIAL_CLOCK, START, hs_datetime, parse_instant
from .context import WorldContext
from .currency import sf_rate_records
from .globals_ import (
    campaign,
    hs_companies,
    hs_owners,
    hs_pipelines,
    marketing_events,
    sf_accounts,
    sf_globals,
)
from .hs_org import HsOrg
from .journey import simulate
from .mess import hubspot_org_rates, mess_factor, rates_for, salesforce_org_rates
from .records import hs_object, sf_record
from .render_hs import render_hs
from .render_sf import render_sf
from .schema import ASSOC_TYPES, HS_OBJECT_TYPES, HS_PROP_SINCE, HS_PROPERTIES, SF_OBJECTS, sf_fields
from .sf_org import ORG_FILE, SfOrg
from .truth import person_truth

FORMAT = 1
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


class Writers:
    """One open, append-only JSONL file per (folder, name); compact UTF-8 JSON, one object per line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = {}

    def write(self, rel: str, obj: Any) -> None:
        f = self.files.get(rel)
        if f is None:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            f = self.files[rel] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        f.write(_ENCODER.encode(obj) + "\n")
        self.counts[rel] = self.counts.get(rel, 0) + 1

    def touch(self, rel: str) -> None:
        if rel not in self.files:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            self.files[rel] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def generate(seed: int, people: int, out_dir: Path | str, mess: str | float = "default",
             clock: str | int | None = None) -> Path:
    """Write the world of `seed` with `people` arrivals before the initial clock into `out_dir`."""
    if people < 1:
        raise ValueError(f"people must be >= 1, got {people}")
    at = INITIAL_CLOCK if clock is None else (clock if isinstance(clock, int) else parse_instant(clock))
    if at < START:
        raise ValueError("clock must be after the world's start (2024-01-01)")
    mess_factor(mess)
    return _write(Path(out_dir), int(seed), int(people), mess, at)


def advance(dataset_dir: Path | str, days: float) -> dict[str, Any]:
    """Continue the world in `dataset_dir` by `days`: same simulation, snapshotted at the later clock."""
    dataset = Path(dataset_dir)
    meta = json.loads((dataset / "world.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{dataset}/world.json was not written by the sandbox generator; cannot advance it")
    if days <= 0:
        raise ValueError(f"days must be > 0, got {days}")
    clock = parse_instant(meta["clock"]) + int(days * DAY)
    _write(dataset, meta["seed"], meta["people"], meta["mess"], clock)
    return json.loads((dataset / "world.json").read_text())


def _write(out: Path, seed: int, people: int, mess: str | float, clock: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("salesforce", "hubspot", "truth"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    ctx = WorldContext(seed, people, rates_for(mess), clock)
    fields = {obj: sf_fields(obj, clock) for obj in SF_OBJECTS}
    hs_allowed = {t: {p for p in HS_PROPERTIES[t] if HS_PROP_SINCE.get((t, p), 0) <= clock} for t in HS_OBJECT_TYPES}
    org = HsOrg(seed, hubspot_org_rates(mess), clock)
    sf_org = SfOrg(seed, salesforce_org_rates(mess), clock)
    ctx.currency_share = org.rates.foreign_currency
    ctx.reopen_share = org.rates.reopened_deal
    ctx.no_source_share = org.rates.no_source
    ctx.unmatched_form_share = org.rates.unmatched_form
    ctx.merged_reference_share = org.rates.merged_reference
    ctx.recycled_share = org.rates.recycled
    w = Writers(out)
    try:
        for obj in SF_OBJECTS:
            w.touch(f"salesforce/{obj}.jsonl")
        for t in (*HS_OBJECT_TYPES, "associations", "owners", "marketing_events", "marketing_event_participations",
                  "contact_merges", "object_merges"):
            w.touch(f"hubspot/{t}.jsonl")
        for name in ("people", "touches", "opportunities", "campaigns"):
            w.touch(f"truth/{name}.jsonl")

        def sf_out(rec) -> None:  # noqa: ANN001
            row = sf_record(rec, clock, fields[rec.obj])
            if row is not None:
                w.write(f"salesforce/{rec.obj}.jsonl", sf_org.row(rec.obj, row) if sf_org.on else row)
                invoice = sf_org.invoice(row) if rec.obj == "Opportunity" and sf_org.on else None
                if invoice is not None:
                    w.write("salesforce/Invoice__c.jsonl", invoice)

        def hs_out(rec) -> dict[str, Any] | None:  # noqa: ANN001
            obj = hs_object(rec, clock, rec.obj, hs_allowed[rec.obj])
            if obj is not None:
                w.write(f"hubspot/{rec.obj}.jsonl", org.lag(obj))
            return obj

        for rec in sf_globals(ctx):
            sf_out(rec)
        if ctx.currency_share > 0:  # a multi-currency org: describe knows these objects only then
            for obj, rows in sf_rate_records(START).items():
                for row in rows:
                    w.write(f"salesforce/{obj}.jsonl", row)
        for owner in hs_owners(ctx):
            w.write("hubspot/owners.jsonl", owner)
        (out / "hubspot" / "pipelines.json").write_text(json.dumps(hs_pipelines(), indent=1) + "\n")
        for ev in marketing_events(ctx):
            w.write("hubspot/marketing_events.jsonl", ev)
        for n in ctx.campaign_numbers:
            st = campaign(ctx, n).state(clock)
            assert st is not None
            v = st[0]
            w.write("truth/campaigns.jsonl", {
                "campaign_id": ctx.campaign_id(n), "name": v["Name"], "channel": ctx.campaign_channel(n).key,
                "type": v["Type"], "start_date": hs_datetime(v["StartDate"])[:10],
                "end_date": hs_datetime(v["EndDate"])[:10], "budgeted_cost": v["BudgetedCost"],
                "actual_cost": v["ActualCost"]})
        first_won: dict[int, int] = {}   # company index -> first won time (bounded by the company count)
        idx = 0
        while True:
            j = simulate(ctx, idx)
            if j.t0 > clock:
                break
            for o in j.opps:
                if o.won and o.closed_at <= clock and not j.spam:
                    cidx = j.company.idx
                    first_won[cidx] = min(first_won.get(cidx, o.closed_at), o.closed_at)
            sf = render_sf(ctx, j)
            hsp = render_hs(ctx, j)
            hsp.recs, hsp.assocs = org.person(hsp.recs, hsp.assocs, hsp.deal_contact_dup)
            for rec in sf:
                sf_out(rec)
            visible = set()
            for rec in hsp.recs:
                obj = hs_object(rec, clock, rec.obj, hs_allowed[rec.obj])
                if obj is not None:
                    w.write(f"hubspot/{rec.obj}.jsonl", org.lag(obj))
                    visible.add(rec.id)
            for t, ft, fid, tt, tid in hsp.assocs:
                if t <= clock and fid in visible and (tid in visible or tt == "companies"):
                    w.write("hubspot/associations.jsonl", {
                        "fromObjectType": ft, "fromObjectId": fid, "toObjectType": tt, "toObjectId": tid,
                        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": ASSOC_TYPES[(ft, tt)],
                                              "label": None}], "createdAt": hs_datetime(t)})
            merged_away = {merged for t, _p, merged, _e in hsp.merges if t <= clock}
            for t, pid, number, contact_id, state in hsp.participations:
                # a participation of a merged-away contact keeps naming it (knob merged_reference)
                if t <= clock and (contact_id in visible or contact_id in merged_away):
                    w.write("hubspot/marketing_event_participations.jsonl", {
                        "id": pid, "marketingEventId": f"{300_000 + number}", "contactId": contact_id,
                        "createdAt": hs_datetime(t), "properties": {"occurredAt": t * 1000,
                                                                   "attendanceState": state}})
            for t, primary, merged, email in hsp.merges:
                if t <= clock:
                    w.write("hubspot/contact_merges.jsonl", {"primaryId": primary, "mergedId": merged,
                                                             "mergedEmail": email, "mergedAt": hs_datetime(t)})
            truth_people, touches, opps = person_truth(ctx, j, sf, hsp, clock)
            for row in truth_people:
                w.write("truth/people.jsonl", row)
            for row in touches:
                w.write("truth/touches.jsonl", row)
            for row in opps:
                w.write("truth/opportunities.jsonl", row)
            idx += 1
        for rec in sf_accounts(ctx, first_won):
            sf_out(rec)
        for rec in org.companies(hs_companies(ctx, first_won)):
            company = hs_out(rec)
            # a company's duplicate deleted instead of merged (knob purged) never gets an invoice
            invoice = (hs_custom.invoice(seed, clock, company)
                       if company and sf_org.rates.custom_objects and rec.deleted_at is None else None)
            if invoice is not None:
                w.write(f"hubspot/{hs_custom.TYPE_ID}.jsonl", invoice)
        if sf_org.rates.custom_objects:
            (out / "hubspot" / "schemas.json").write_text(json.dumps({"results": [hs_custom.schema(START)]}) + "\n")
        for t, otype, primary, merged in sorted(org.merges):
            if t <= clock:
                w.write("hubspot/object_merges.jsonl", {"objectType": otype, "primaryId": primary, "mergedId": merged,
                                                        "mergedAt": hs_datetime(t)})
    finally:
        w.close()
    meta = {"format": FORMAT, "seed": seed, "people": people, "people_total": idx, "mess": mess,
            "start": hs_datetime(START), "initial_clock": hs_datetime(INITIAL_CLOCK), "clock": hs_datetime(clock),
            "counts": dict(sorted(w.counts.items()))}
    (out / "world.json").write_text(json.dumps(meta, indent=1) + "\n")
    org_file = out / ORG_FILE
    if sf_org.on:
        org_file.write_text(json.dumps(sf_org.describe(), indent=1) + "\n")
    elif org_file.exists():
        org_file.unlink()
    return out
