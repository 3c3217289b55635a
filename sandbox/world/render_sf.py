"""A journey as Salesforce records (Lead, LeadHistory, Contact, Opportunity, ..., Task, Event)."""

from __future__ import annotations

from . import catalog as C
from .clock import DAY, month_index, month_start
from .context import WorldContext
from .currency import currency_of
from .ids import PER_PERSON, sf_id
from .journey import Journey, email_variant
from .records import Rec
from .reopen import reopen_of

MEMBER_STATUS = {"webinar": "Attended", "event": "Attended", "content": "Responded", "email": "Responded"}


class SfPerson:
    """Builds one person's Salesforce records; ids are person_index * PER_PERSON + k per object."""

    def __init__(self, ctx: WorldContext, j: Journey) -> None:
        self.ctx, self.j = ctx, j
        self.recs: list[Rec] = []
        self._k: dict[str, int] = {}
        self.lead: Rec | None = None
        self.contact: Rec | None = None

    def new(self, obj: str, t: int, fields: dict) -> Rec:
        k = self._k.get(obj, 0)
        self._k[obj] = k + 1
        rec = Rec(obj, sf_id(obj, self.j.idx * PER_PERSON + k), t, fields)
        self.recs.append(rec)
        return rec

    def person_fields(self, email: str) -> dict:
        j, co = self.j, self.j.company
        return {"FirstName": j.first, "LastName": j.last, "Name": f"{j.first} {j.last}",
                "Title": None if "Title" in j.missing else j.title, "Email": email,
                "Phone": None if "Phone" in j.missing else j.phone,
                "LeadSource": None if "LeadSource" in j.missing else C.CHANNEL_BY_KEY[j.channel].label,
                "OwnerId": j.sdr.sf_id, "Segment__c": co.segment, "Region__c": co.region}

    def lead_fields(self, email: str, status: str) -> dict:
        co = self.j.company
        return {**self.person_fields(email), "Company": co.name, "Country": co.country,
                "Industry": None if "Industry" in self.j.missing else co.industry,
                "NumberOfEmployees": co.employees, "Website": f"https://www.{co.domain}", "Status": status,
                "IsConverted": False}

    def history(self, lead: Rec, t: int, field: str, old: object, new: object, dtype: str, by: str) -> None:
        self.new("LeadHistory", t, {"LeadId": lead.id, "Field": field, "DataType": dtype, "OldValue": old,
                                    "NewValue": new, "CreatedById": by})


def render_sf(ctx: WorldContext, j: Journey) -> list[Rec]:
    if not j.in_sf:
        return []
    p = SfPerson(ctx, j)
    rng = j.rng
    lag = j.lag_sf
    email = email_variant(rng, j.email, ctx.rates.email_variant) if j.presence == "both" else j.email
    if j.spam:
        lead = p.new("Lead", j.t0, p.lead_fields(f"test{j.idx}@mailinator.com", "Open - Not Contacted"))
        lead.deleted_at = j.t0 + rng.randint(1, 10) * DAY
        return p.recs
    if not j.contact_only:
        _lead(p, email, lag)
    conv_at = j.opps[0].created if j.opps and j.opps[0].kind == "new" else None
    if j.contact_only:
        p.contact = p.new("Contact", j.t0 + lag, _contact_fields(p, email))
    elif conv_at is not None:
        p.contact = p.new("Contact", conv_at, {**_contact_fields(p, email), "OwnerId": j.ae.sf_id})
    for o in j.opps:
        _opportunity(p, o)
    _members(p)
    _activities(p)
    if j.late_update is not None:
        target = p.contact or p.lead
        if target is not None:
            target.set(j.late_update, Title=rng.choice(C.TITLES), Phone=j.phone)
    if j.dup_lead is not None and p.lead is not None:
        created, deleted = j.dup_lead
        variant = email_variant(rng, j.email, 1.0)
        dup = p.new("Lead", created, p.lead_fields(variant, "Open - Not Contacted"))
        p.history(dup, created, "created", None, None, "Text", j.sdr.sf_id)
        if deleted is not None:
            dup.set(deleted, MasterRecordId=p.lead.id)
            dup.deleted_at = deleted
    return p.recs


def _contact_fields(p: SfPerson, email: str) -> dict:
    co = p.j.company
    return {**p.person_fields(email), "AccountId": co.sf_id, "MailingCountry": co.country}


def _lead(p: SfPerson, email: str, lag: int) -> None:
    j = p.j
    lead = p.lead = p.new("Lead", j.t0 + lag, p.lead_fields(email, "Open - Not Contacted"))
    p.history(lead, lead.created, "created", None, None, "Text", j.sdr.sf_id)
    steps: list[tuple[int, str]] = []
    if j.working_at:
        steps.append((j.working_at + lag, "Working - Contacted"))
    if j.mql and not j.sf_skip_mql:
        steps.append((j.mql + lag, "Marketing Qualified"))
    if j.sql:
        steps.append((j.sql, "Sales Qualified"))
    if j.disq_at:
        steps.append((j.disq_at, "Closed - Not Converted"))
    if j.opps and j.opps[0].kind == "new":
        steps.append((j.opps[0].created, "Closed - Converted"))
    status = "Open - Not Contacted"
    for t, new in sorted(steps):
        t = max(t, lead.created + 1)
        if new == "Closed - Converted":
            continue  # set by the conversion in _opportunity
        lead.set(t, Status=new)
        p.history(lead, t, "Status", status, new, "Picklist", j.sdr.sf_id)
        status = new
        if new == "Sales Qualified":
            lead.set(t, OwnerId=j.ae.sf_id)
            p.history(lead, t, "Owner", j.sdr.sf_id, j.ae.sf_id, "EntityId", j.sdr.sf_id)
    p._status = status  # type: ignore[attr-defined]


def _opportunity(p: SfPerson, o) -> None:  # noqa: ANN001
    j, rng = p.j, p.j.rng
    co = j.company
    first_stage = C.SF_OPEN_STAGES[o.path[0][0]]
    name = f"{co.name} - {'New Business' if o.kind == 'new' else 'Expansion'}"
    amount = o.amount
    currency = currency_of(p.ctx.seed, p.ctx.currency_share, f"{j.idx}:{o.k}")
    opp = p.new("Opportunity", o.created, {
        "AccountId": co.sf_id, "Name": name, "Type": "New Business" if o.kind == "new" else "Existing Business",
        "StageName": first_stage[0], "Probability": first_stage[1], "Amount": amount,
        "ExpectedRevenue": round(amount * first_stage[1] / 100, 2), "CloseDate": o.expected_close,
        "IsClosed": False, "IsWon": False, "ForecastCategory": first_stage[2],
        "ForecastCategoryName": first_stage[3],
        "LeadSource": None if "LeadSource" in j.missing else C.CHANNEL_BY_KEY[j.channel].label,
        "CampaignId": None if (o.campaign is None or "CampaignId" in j.missing) else p.ctx.campaign_id(o.campaign),
        "OwnerId": o.owner.sf_id, "ContactId": p.contact.id if p.contact else None, "CurrencyIsoCode": currency,
        "Competitor__c": None if "Competitor" in j.missing else o.competitor, "Region__c": co.region,
        "Segment__c": co.segment})
    close_date = o.expected_close
    moves = [(t, C.SF_OPEN_STAGES[ordinal], None) for ordinal, t in o.path]
    end = (o.closed_at, C.SF_WON if o.won else C.SF_LOST, None)
    r = reopen_of(p.ctx.seed, p.ctx.reopen_share, f"{j.idx}:{o.k}", o.path[-1][1], o.closed_at, o.won)
    last_open = C.SF_OPEN_STAGES[o.path[-1][0]]
    if r is None:
        moves.append(end)
    elif r.kind == "reclosed":  # closed early, reopened, closed again at the journey's close
        moves += [(r.first_close_at, C.SF_WON if r.first_won else C.SF_LOST, None),
                  (r.reopened_at, last_open, r.expected_close), end]
    else:  # closed, reopened, open now
        moves += [end, (r.reopened_at, last_open, r.expected_close)]
    for i, (t, (stage, prob, fc, fcn), reopened_close) in enumerate(moves):
        closed = stage in ("Closed Won", "Closed Lost")
        if closed:
            close_date = t - t % DAY
        elif reopened_close is not None:  # a reopening draws nothing from the journey's RNG
            close_date = reopened_close
        elif i and rng.random() < .15:
            close_date += rng.randint(7, 30) * DAY
        if i:
            opp.set(t, StageName=stage, Probability=prob, ForecastCategory=fc, ForecastCategoryName=fcn,
                    IsClosed=closed, IsWon=stage == "Closed Won", ExpectedRevenue=round(amount * prob / 100, 2),
                    CloseDate=close_date)
        if not j.no_history:
            p.new("OpportunityHistory", t, {"OpportunityId": opp.id, "StageName": stage, "Amount": amount,
                                            "CloseDate": close_date, "Probability": prob,
                                            "ExpectedRevenue": round(amount * prob / 100, 2),
                                            "ForecastCategory": fc, "CreatedById": o.owner.sf_id})
    for k, (prod, qty, unit, list_price) in enumerate(o.items):
        code, pname, _family, _ = C.PRODUCTS[prod]
        li = p.new("OpportunityLineItem", o.created + 60 + k, {
            "OpportunityId": opp.id, "Product2Id": sf_id("Product2", prod + 1),
            "PricebookEntryId": sf_id("PricebookEntry", prod + 1), "Name": f"{name} {pname}", "ProductCode": code,
            "Quantity": qty, "UnitPrice": unit, "ListPrice": list_price, "TotalPrice": qty * unit,
            "ServiceDate": None})
        if o.won:
            li.set(o.closed_at, ServiceDate=o.closed_at)
    if o.kind == "new" and p.lead is not None:
        p.lead.set(o.created, IsConverted=True, ConvertedDate=o.created, ConvertedAccountId=co.sf_id,
                   ConvertedContactId=p.contact.id if p.contact else None, ConvertedOpportunityId=opp.id,
                   Status="Closed - Converted")
        p.history(p.lead, o.created, "Status", getattr(p, "_status", "Open - Not Contacted"),
                  "Closed - Converted", "Picklist", o.owner.sf_id)
    if p.contact is not None and not (o.kind == "new" and p.lead is not None and j.no_ocr):
        p.new("OpportunityContactRole", o.created + 30, {"OpportunityId": opp.id, "ContactId": p.contact.id,
                                                         "Role": rng.choice(C.ROLES), "IsPrimary": True})
    o.sf_id = opp.id  # type: ignore[attr-defined]
    if rng.random() < p.ctx.rates.duplicate_opportunity:  # created twice by mistake, the copy deleted
        t = o.created + rng.randint(600, 86400)
        dup = p.new("Opportunity", t, {**opp.versions[0][1], "Name": name + " (copy)"})
        row = p.new("OpportunityHistory", t, {"OpportunityId": dup.id, "StageName": first_stage[0], "Amount": amount,
                                              "CloseDate": o.expected_close, "Probability": first_stage[1],
                                              "ExpectedRevenue": round(amount * first_stage[1] / 100, 2),
                                              "ForecastCategory": first_stage[2], "CreatedById": o.owner.sf_id})
        dup.deleted_at = row.deleted_at = t + rng.randint(1, 5) * DAY


def _who(p: SfPerson, t: int) -> Rec | None:
    if p.lead is not None and t < (p.contact.created if p.contact else 1 << 62):
        return p.lead if t >= p.lead.created else None
    if p.contact is not None and t >= p.contact.created:
        return p.contact
    return p.lead


def _members(p: SfPerson) -> None:
    j, rng, ctx = p.j, p.j.rng, p.ctx
    seen: set[tuple[str, int]] = set()
    for touch in j.touches:
        t = touch.t + (j.lag_sf if touch.first else 0)
        who = _who(p, t)
        if who is None:
            continue
        t = max(t, who.created)
        if (who.id, touch.campaign) in seen:
            continue
        seen.add((who.id, touch.campaign))
        status = MEMBER_STATUS.get(touch.channel, "Responded")
        m = p.new("CampaignMember", t, _member(ctx, who, touch.campaign, status, True, t))
        if rng.random() < ctx.rates.hard_deleted_member:
            m.gone_at = t + rng.randint(1, 60) * DAY
    # email sends that got no response
    for _ in range(rng.randint(0, 2)):
        t = j.t0 + rng.randint(10, 200) * DAY
        number = ctx.campaign_number(month_index(t), "email")
        who = _who(p, t)
        if who is None or (who.id, number) in seen:
            continue
        seen.add((who.id, number))
        t = max(t, month_start(month_index(t)))
        p.new("CampaignMember", t, _member(ctx, who, number, "Sent", False, None))


def _member(ctx: WorldContext, who: Rec, number: int, status: str, responded: bool, t: int | None) -> dict:
    is_lead = who.obj == "Lead"
    return {"CampaignId": ctx.campaign_id(number), "LeadId": who.id if is_lead else None,
            "ContactId": None if is_lead else who.id, "LeadOrContactId": who.id, "Status": status,
            "HasResponded": responded, "FirstRespondedDate": t}


def _activities(p: SfPerson) -> None:
    j = p.j
    for a in j.activities:
        who = _who(p, a.t)
        if who is None:
            continue
        what = j.opps[a.opp].sf_id if a.opp is not None else None  # type: ignore[attr-defined]
        account = j.company.sf_id if who.obj == "Contact" else None
        t = max(a.t, who.created)
        common = {"WhoId": who.id, "WhatId": what, "AccountId": account, "OwnerId": a.owner.sf_id,
                  "IsArchived": False, "IsDeleted": False}
        deleted = j.rng.random() < p.ctx.rates.deleted_activity
        if a.kind == "meeting":
            rec = p.new("Event", t, {**common, "Subject": "Meeting: discovery" if what is None else "Meeting: demo",
                               "Type": "Meeting", "EventSubtype": "Event", "ActivityDate": t, "ActivityDateTime": t,
                               "StartDateTime": t, "EndDateTime": t + a.duration_s,
                               "DurationInMinutes": a.duration_s // 60, "IsAllDayEvent": False})
        elif a.kind == "call":
            rec = p.new("Task", t, {**common, "Subject": "Call", "Type": "Call", "TaskSubtype": "Call",
                              "Status": "Completed", "Priority": "Normal", "IsClosed": True, "ActivityDate": t,
                              "CallType": "Inbound" if a.inbound else "Outbound",
                              "CallDurationInSeconds": a.duration_s, "CallDisposition": a.outcome})
        else:
            rec = p.new("Task", t, {**common, "Subject": "Email: following up", "Type": "Email", "TaskSubtype": "Email",
                              "Status": "Completed", "Priority": "Normal", "IsClosed": True, "ActivityDate": t,
                              "CallType": None, "CallDurationInSeconds": None, "CallDisposition": None})
        if deleted:
            rec.deleted_at = t + j.rng.randint(1, 20) * DAY
