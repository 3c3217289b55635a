"""Ground truth: what the marts must find, computed from the snapshot by the rules of docs/metrics.md §1 and §3."""

from __future__ import annotations

import hashlib
from typing import Any

from . import catalog as C
from .clock import day_start, hs_datetime, parse_instant
from .context import WorldContext
from .currency import CORPORATE, corporate_amount_sf
from .journey import Journey
from .records import Rec
from .render_hs import HsPerson

STAGES = ("lead", "mql", "sql", "opportunity", "customer")
SF_STATUS_STAGE = {"Open - Not Contacted": "lead", "Working - Contacted": "lead", "Marketing Qualified": "mql",
                   "Sales Qualified": "sql"}
HS_STAGE = {"subscriber": "lead", "lead": "lead", "marketingqualifiedlead": "mql", "salesqualifiedlead": "sql",
            "opportunity": "opportunity", "customer": "customer"}
HS_SOURCE_CHANNEL = {"PAID_SEARCH": "paid_search", "PAID_SOCIAL": "paid_social", "ORGANIC_SEARCH": "organic",
                     "SOCIAL_MEDIA": "content", "EMAIL_MARKETING": "email", "REFERRALS": "referral",
                     "OFFLINE": "event", "OTHER_CAMPAIGNS": "partner", "DIRECT_TRAFFIC": "organic"}
WON_HS = {"closedwon", "expansion_won"}
CLOSED_HS = WON_HS | {"closedlost", "expansion_lost"}


def norm(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def _ts(t: int | None) -> str | None:
    return None if t is None else hs_datetime(t)


def person_truth(ctx: WorldContext, j: Journey, sf: list[Rec], hsp: HsPerson, clock: int
                 ) -> tuple[list[dict], list[dict], list[dict]]:
    live: dict[str, tuple[Rec, dict[str, Any]]] = {}
    for rec in sf + hsp.recs:
        st = rec.state(clock)
        if st is not None and not rec.is_deleted(clock):
            live[rec.id] = (rec, st[0])
    stages: dict[str, dict[str, int]] = {}
    ids: dict[str, dict[str, list[str]]] = {}

    def enter(key: str | None, stage: str, t: int) -> None:
        if key is None:
            return
        cur = stages.setdefault(key, {})
        if stage not in cur or t < cur[stage]:
            cur[stage] = t

    def remember(key: str | None, kind: str, rid: str) -> None:
        if key is not None:
            ids.setdefault(key, {}).setdefault(kind, []).append(rid)

    by_obj: dict[str, list[tuple[Rec, dict]]] = {}
    for rec, vals in live.values():
        by_obj.setdefault(rec.obj, []).append((rec, vals))
    opp_people: dict[str, set[str]] = {}
    for rec, vals in by_obj.get("Lead", []):
        key = norm(vals.get("Email"))
        remember(key, "sf_lead_ids", rec.id)
        enter(key, "lead", rec.created)
        if vals.get("ConvertedOpportunityId") and key:
            opp_people.setdefault(vals["ConvertedOpportunityId"], set()).add(key)
    lead_key = {rec.id: norm(vals.get("Email")) for rec, vals in by_obj.get("Lead", [])}
    for rec, vals in by_obj.get("LeadHistory", []):
        if vals["Field"] == "Status" and vals["NewValue"] in SF_STATUS_STAGE:
            enter(lead_key.get(vals["LeadId"]), SF_STATUS_STAGE[vals["NewValue"]], rec.created)
    contact_key = {}
    for rec, vals in by_obj.get("Contact", []):
        key = contact_key[rec.id] = norm(vals.get("Email"))
        remember(key, "sf_contact_ids", rec.id)
        enter(key, "lead", rec.created)
    for _rec, vals in by_obj.get("OpportunityContactRole", []):
        key = contact_key.get(vals["ContactId"])
        if key:
            opp_people.setdefault(vals["OpportunityId"], set()).add(key)
    opps = _sf_opps(by_obj, opp_people) + _hs_deals(ctx, hsp, live, clock)
    first_opp: dict[str, dict] = {}
    for o in opps:
        if o["source_system"] != "salesforce":
            continue  # HubSpot stages come from the lifecycle date properties only
        for key in o["person_keys"]:
            enter(key, "opportunity", parse_instant(o["created_at"]))
            if key not in first_opp or o["created_at"] < first_opp[key]["created_at"]:
                first_opp[key] = o
    for key, o in first_opp.items():
        if o["source_system"] == "salesforce" and o["is_won"]:
            enter(key, "customer", parse_instant(o["closed_at"]))
    for rec, vals in by_obj.get("contacts", []):
        key = norm(vals.get("email"))
        remember(key, "hs_contact_ids", rec.id)
        for hs_stage, stage in HS_STAGE.items():
            t = vals.get(f"hs_lifecyclestage_{hs_stage}_date")
            if t is not None:
                enter(key, stage, t)
    touches = _touches(ctx, live, by_obj, hsp, clock, lead_key, contact_key)
    people = []
    for key in sorted(stages):
        got = stages[key]
        times: dict[str, int | None] = {}
        inferred: dict[str, bool] = {}
        nxt: int | None = None
        for stage in reversed(STAGES):
            if stage in got:
                nxt = got[stage]
                times[stage], inferred[stage] = got[stage], False
            else:
                times[stage], inferred[stage] = nxt, nxt is not None
        reached = [s for s in STAGES if times[s] is not None]
        mine = sorted((t for t in touches if t["person_key"] == key),
                      key=lambda t: (t["touched_at"], t["touchpoint_id"]))
        systems = sorted({"salesforce" if k.startswith("sf_") else "hubspot" for k in ids.get(key, {})})
        owner = j.ae if (j.sql and times["sql"]) else j.sdr
        people.append({"person_key": key, "email_sha256": hashlib.sha256(key.encode()).hexdigest(),
                       "systems": systems, **{k: sorted(v) for k, v in sorted(ids.get(key, {}).items())},
                       "company_domain": j.company.domain, "region": j.company.region,
                       "segment": j.company.segment, "owner_email": owner.email,
                       "first_touch_channel": mine[0]["channel"] if mine else "unknown",
                       "first_touch_campaign_id": mine[0]["campaign_id"] if mine else None,
                       "stages": {s: _ts(times[s]) for s in STAGES}, "inferred": {s: inferred[s] for s in STAGES},
                       "current_stage": reached[-1] if reached else None})
    return people, touches, opps


def _sf_opps(by_obj: dict, opp_people: dict[str, set[str]]) -> list[dict]:
    hist: dict[str, list[tuple[int, str]]] = {}
    for rec, vals in by_obj.get("OpportunityHistory", []):
        hist.setdefault(vals["OpportunityId"], []).append((rec.created, vals["StageName"]))
    items: dict[str, list[tuple[float, str]]] = {}
    for _rec, vals in by_obj.get("OpportunityLineItem", []):
        fam = next(p[2] for p in C.PRODUCTS if p[0] == vals["ProductCode"])
        items.setdefault(vals["OpportunityId"], []).append((vals["TotalPrice"], fam))
    out = []
    for rec, v in by_obj.get("Opportunity", []):
        closed_at = None
        if v["IsClosed"]:
            rows = sorted(t for t, s in hist.get(rec.id, []) if s in ("Closed Won", "Closed Lost"))
            closed_at = rows[-1] if rows else v["CloseDate"]  # the last entry into a closed stage
        fam = max(items[rec.id])[1] if items.get(rec.id) else None
        out.append({"source_system": "salesforce", "source_id": rec.id,
                    "person_keys": sorted(opp_people.get(rec.id, ())), "created_at": _ts(rec.created),
                    "closed_at": _ts(closed_at), "close_date": hs_datetime(v["CloseDate"])[:10],
                    "stage": v["StageName"], "is_closed": v["IsClosed"], "is_won": v["IsWon"], "amount": v["Amount"],
                    "currency": v.get("CurrencyIsoCode") or CORPORATE,
                    "amount_corporate": corporate_amount_sf(v["Amount"], v.get("CurrencyIsoCode") or CORPORATE,
                                                            day_start(v["CloseDate"])),
                    "probability": v["Probability"] / 100, "type": v["Type"], "product_family": fam,
                    "competitor": v.get("Competitor__c"), "campaign_id": v.get("CampaignId")})
    return out


def _hs_deals(ctx: WorldContext, hsp: HsPerson, live: dict, clock: int) -> list[dict]:
    out = []
    deal_contacts: dict[str, set[str]] = {}
    fams: dict[str, list[tuple[float, str]]] = {}
    for t, ft, fid, tt, tid in hsp.assocs:
        if t <= clock and ft == "deals" and fid in live and tid in live:
            if tt == "contacts":
                deal_contacts.setdefault(fid, set()).add(norm(live[tid][1].get("email")) or "")
            elif tt == "line_items":
                li = live[tid][1]
                fams.setdefault(fid, []).append((li["amount"], li["fh_product_family"]))
    for rec, v in (x for x in live.values() if x[0].obj == "deals"):
        closed_at = None
        if v["dealstage"] in CLOSED_HS:
            closed_at = max(t for t, ch in rec.versions if t <= clock and ch.get("dealstage") in CLOSED_HS)
        out.append({"source_system": "hubspot", "source_id": rec.id,
                    "person_keys": sorted(deal_contacts.get(rec.id, ())), "created_at": _ts(rec.created),
                    "closed_at": _ts(closed_at), "close_date": hs_datetime(v["closedate"])[:10],
                    "stage": v["dealstage"], "is_closed": v["dealstage"] in CLOSED_HS,
                    "is_won": v["dealstage"] in WON_HS, "amount": v["amount"],
                    "currency": v.get("deal_currency_code") or CORPORATE,
                    "amount_corporate": v["amount_in_home_currency"] if v.get("amount_in_home_currency") is not None
                    else v["amount"],
                    "probability": float(v["hs_deal_stage_probability"]), "type": v["dealtype"],
                    "product_family": max(fams[rec.id])[1] if fams.get(rec.id) else None,
                    "competitor": v.get("fh_competitor"), "campaign_id": None})
    return out


def _touch(key: str | None, t: int, campaign_id: str | None, channel: str, system: str, kind: str,
           ctx: WorldContext, touchpoint_id: str) -> dict:
    # touchpoint_id is the id the warehouse gives the touch (fct_touchpoints): docs/metrics.md orders a
    # person's touches by touched_at, then touchpoint_id, so equal times need it to order alike
    return {"touchpoint_id": touchpoint_id, "person_key": key, "touched_at": hs_datetime(t), "campaign_id": campaign_id,
            "campaign_name": ctx.campaign_names_by_id.get(campaign_id) if campaign_id else None,
            "channel": channel, "source_system": system, "touch_type": kind}


def _touches(ctx: WorldContext, live: dict, by_obj: dict, hsp: HsPerson, clock: int, lead_key: dict,
             contact_key: dict) -> list[dict]:
    out: dict[tuple, dict] = {}

    def add(row: dict) -> None:
        if row["person_key"]:
            out.setdefault((row["person_key"], row["campaign_id"], row["touched_at"]), row)

    for rec, v in by_obj.get("CampaignMember", []):
        if not v["HasResponded"]:
            continue
        key = lead_key.get(v["LeadId"]) if v["LeadId"] else contact_key.get(v["ContactId"])
        t = v["FirstRespondedDate"]
        t = t - t % 86400 if t is not None else rec.created
        add(_touch(key, t, v["CampaignId"], ctx.channel_of(v["CampaignId"]), "salesforce", "campaign_member", ctx,
                    f"sf_cm:{rec.id}"))
    for rec, v in by_obj.get("contacts", []):
        key = norm(v.get("email"))
        source = v.get("hs_analytics_source")
        # metrics.md §3: a touch with a campaign takes its channel; one without, the contact's source
        source_channel = HS_SOURCE_CHANNEL.get(source or "", "unknown")
        # metrics.md §1: a merged-away contact's form conversion counts for the survivor (whose history holds it)
        for t, changes in rec.history(clock):
            name = changes.get("recent_conversion_event_name")
            if t <= clock and name:
                cid = ctx.campaign_ids_by_name.get(name)
                add(_touch(key, t, cid, ctx.channel_of(cid) if cid else source_channel, "hubspot", "form_conversion",
                           ctx, f"hs_form:{rec.id}:{t * 1000}"))
        if not source:
            continue  # no hs_analytics_source: no original-source touch
        src_name = v.get("hs_analytics_source_data_2")
        cid = ctx.campaign_ids_by_name.get(src_name) if src_name else None
        channel = ctx.channel_of(cid) if cid else source_channel
        add(_touch(key, rec.created, cid, channel, "hubspot", "original_source", ctx, f"hs_src:{rec.id}"))
    # metrics.md §1: a participation naming a merged-away contact counts for the survivor
    survivor = {merged: primary for t, primary, merged, _email in hsp.merges if t <= clock}
    for t, pid, number, contact_id, _state in hsp.participations:
        contact_id = survivor.get(contact_id, contact_id)
        if t <= clock and contact_id in live:
            cid = ctx.campaign_id(number)
            add(_touch(norm(live[contact_id][1].get("email")), t, cid, ctx.channel_of(cid), "hubspot",
                       "marketing_event", ctx, f"hs_mep:{pid}"))
    return sorted(out.values(), key=lambda r: (r["person_key"], r["touched_at"], r["campaign_id"] or ""))
