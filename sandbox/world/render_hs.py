"""A journey as HubSpot objects (contacts, deals, line items, engagements), associations, participations."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import catalog as C
from .clock import DAY, month_index
from .context import WorldContext
from .currency import currency_of, home_amount_hs
from .hs_org import draw
from .ids import PER_PERSON, hs
from .journey import Journey, email_variant
from .mess import MessRates
from .records import Rec
from .reopen import reopen_of

#: forms that are no campaign (knob unmatched_form): their conversions are touches without a campaign
UNMATCHED_FORMS = ("Newsletter signup", "Contact us", "Pricing page request")


@dataclass
class HsPerson:
    recs: list[Rec] = field(default_factory=list)
    #: (t, fromType, fromId, toType, toId)
    assocs: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    #: (t, participation id, campaign number, contact id, attendance state)
    participations: list[tuple[int, str, int, str, str]] = field(default_factory=list)
    #: (merged_at, primary id, merged id, merged email)
    merges: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: (survivor id, duplicate id, created, merged_at): the duplicate contact the person's deals are
    #: associated with while it lives (knob merged_reference; applied by HsOrg.person)
    deal_contact_dup: tuple[str, str, int, int] | None = None
    contact: Rec | None = None


def render_hs(ctx: WorldContext, j: Journey) -> HsPerson:
    out = HsPerson()
    if not j.in_hs:
        return out
    rng = j.rng
    base = j.idx * PER_PERSON
    co = j.company
    email = email_variant(rng, j.email, ctx.rates.email_variant) if j.presence == "both" else j.email
    if j.spam:
        c = Rec("contacts", hs("contacts", j.idx * 4), j.t0, {"email": f"spam{j.idx}@mailinator.com",
                                                              "firstname": "Test", "lastname": "Spam",
                                                              "lifecyclestage": "subscriber",
                                                              "hs_lifecyclestage_subscriber_date": j.t0})
        c.deleted_at = j.t0 + rng.randint(1, 10) * DAY
        out.recs.append(c)
        return out
    first = j.touches[0]
    ch = C.CHANNEL_BY_KEY[j.channel]
    no_source = "source_data_2" in j.missing
    props = {"email": email, "firstname": j.first, "lastname": j.last,
             "jobtitle": None if "Title" in j.missing else j.title, "phone": None if "Phone" in j.missing else j.phone,
             "company": co.name, "country": co.country, "hubspot_owner_id": j.sdr.owner_id,
             "associatedcompanyid": co.hs_id, "hs_analytics_source": "DIRECT_TRAFFIC" if no_source else ch.hs_source,
             "hs_analytics_source_data_1": None if no_source else ch.platform,
             "hs_analytics_source_data_2": None if no_source else ctx.campaign_name(first.campaign),
             "hs_lead_status": "NEW", "fh_segment": co.segment, "hs_analytics_num_page_views": 0,
             "hs_analytics_num_visits": 0, "num_conversion_events": 0}
    cid = hs("contacts", j.idx * 4)
    if draw(ctx.seed, "no_source", cid) < ctx.no_source_share:  # imported / API-created: HubSpot knows no source
        props.update(hs_analytics_source=None, hs_analytics_source_data_1=None, hs_analytics_source_data_2=None)
    c = out.contact = Rec("contacts", cid, j.t0, props)
    out.recs.append(c)
    out.assocs.append((j.t0, "contacts", c.id, "companies", co.hs_id))
    # lifecycle
    lag = j.lag_hs
    stages: list[tuple[int, str]] = []
    if j.channel in ("email", "content") and rng.random() < .3:
        stages += [(j.t0, "subscriber"), (j.t0 + rng.randint(1, 10) * DAY, "lead")]
    else:
        stages.append((j.t0, "lead"))
    if j.mql and j.hs_skip != "marketingqualifiedlead":
        stages.append((j.mql, "marketingqualifiedlead"))
    if j.sql and j.hs_skip != "salesqualifiedlead":
        stages.append((j.sql + lag, "salesqualifiedlead"))
    if j.opps:
        stages.append((j.opps[0].created + lag, "opportunity"))
        if j.opps[0].won:
            stages.append((j.opps[0].closed_at + lag, "customer"))
    for t, stage in sorted(stages):
        c.set(t, lifecyclestage=stage, **{f"hs_lifecyclestage_{stage}_date": t})
    # a disqualified contact may be parked as "bad timing" rather than unqualified (knob recycled)
    disqualified = "BAD_TIMING" if draw(ctx.seed, "recycled", cid) < ctx.recycled_share else "UNQUALIFIED"
    for t, status in ((j.working_at, "ATTEMPTED_TO_CONTACT"), (j.mql, "CONNECTED"), (j.sql, "IN_PROGRESS"),
                      (j.opps[0].created if j.opps else None, "OPEN_DEAL"), (j.disq_at, disqualified)):
        if t is not None:
            c.set(t + 1, hs_lead_status=status)
    if j.sql:
        c.set(j.sql + lag, hubspot_owner_id=j.ae.owner_id)
    _conversions(ctx, j, out, c, base)
    if j.presence == "hs":
        for o in j.opps:
            _deal(ctx, j, out, c, o, base)
        _engagements(j, out, c, base, ctx.rates)
    if j.late_update is not None:
        c.set(j.late_update, jobtitle=rng.choice(C.TITLES))
    if j.hs_dup is not None:
        created, merged = j.hs_dup
        dup_id = hs("contacts", j.idx * 4 + 1)
        if j.presence == "hs" and j.opps and draw(ctx.seed, "merged_deal_contact", dup_id) < ctx.merged_reference_share:
            # The AE who opens the first deal creates the buyer again (from the personal address on the
            # order form) 1-24 h before it and associates the deal with that duplicate (HsOrg names it
            # until the merge, 3-60 days later as drawn). The journey's own duplicate (5-100 days after
            # the person, for 3-60 days) practically never overlaps a deal, which comes after the SQL
            # (9 deals in 44 heavy worlds of 400 people): without this the heavy world would have almost
            # no deal naming a merged-away contact (METRICS §1; tests/oracle/test_merged_deal_contacts.py).
            life = merged - created
            created = j.opps[0].created - int((1 + 23 * draw(ctx.seed, "merged_deal_contact_at", dup_id)) * 3600)
            merged = created + life
            out.deal_contact_dup = (c.id, dup_id, created, merged)
        dup_email = f"{email.strip().split('@')[0].replace('.', '').lower()}@gmail.com"
        dup = Rec("contacts", dup_id, created, {
            "email": dup_email, "firstname": j.first, "lastname": j.last, "lifecyclestage": "subscriber",
            "hs_lifecyclestage_subscriber_date": created, "hs_analytics_source": "DIRECT_TRAFFIC",
            "hs_lead_status": "NEW"})
        dup.gone_at = merged
        out.recs.append(dup)
        c.set(merged, hs_merged_object_ids=dup.id, hs_additional_emails=dup_email)
        out.merges.append((merged, c.id, dup.id, dup_email))
        if draw(ctx.seed, "merged_form", dup.id) < ctx.merged_reference_share:
            # the duplicate filled in a form before the merge; at the merge its conversion joins the
            # survivor's property history (the survivor's current values stay its own)
            t = created + (merged - created) // 3
            name = ctx.campaign_name(ctx.campaign_number(month_index(t), "content"))
            dup.set(t, recent_conversion_event_name=name, recent_conversion_date=t, num_conversion_events=1,
                    first_conversion_event_name=name, first_conversion_date=t)
            c.merged_history.append((merged, t, {"recent_conversion_event_name": name}))
        if draw(ctx.seed, "merged_reference", dup.id) < ctx.merged_reference_share:
            # the duplicate attended an event before the merge; the participation still names it after
            t = created + (merged - created) // 2
            number = ctx.campaign_number(month_index(t), "webinar")
            out.participations.append((t, hs("participations", base + PER_PERSON - 1), number, dup.id, "ATTENDED"))
    return out


def _conversions(ctx: WorldContext, j: Journey, out: HsPerson, c: Rec, base: int) -> None:
    rng = j.rng
    n_conv = views = visits = 0
    k = 0
    for touch in j.touches:
        t = touch.t
        views += rng.randint(1, 6)
        visits += 1
        changes: dict = {"hs_analytics_num_page_views": views, "hs_analytics_num_visits": visits,
                         "hs_analytics_last_visit_timestamp": t}
        if touch.channel in C.EVENT_CHANNELS:
            out.participations.append((t, hs("participations", base + k), touch.campaign, c.id, "ATTENDED"))
            k += 1
        else:
            n_conv += 1
            name = ctx.campaign_name(touch.campaign)
            if draw(ctx.seed, "unmatched_form", f"{c.id}:{t}") < ctx.unmatched_form_share:
                name = UNMATCHED_FORMS[int(draw(ctx.seed, "unmatched_form_name", f"{c.id}:{t}") * len(UNMATCHED_FORMS))]
            changes.update(recent_conversion_event_name=name, recent_conversion_date=t, num_conversion_events=n_conv)
            if n_conv == 1:
                changes.update(first_conversion_event_name=name, first_conversion_date=t)
        c.set(t, **changes)
    opens = clicks = 0
    for t, kind in j.email_events:
        if kind == "open":
            opens += 1
            c.set(t, hs_email_open=opens, hs_email_last_open_date=t)
        else:
            clicks += 1
            c.set(t, hs_email_click=clicks, hs_email_last_click_date=t)


def _deal(ctx: WorldContext, j: Journey, out: HsPerson, c: Rec, o, base: int) -> None:  # noqa: ANN001
    rng = j.rng
    pipeline = C.HS_PIPELINES[0 if o.kind == "new" else 1]
    stages = pipeline[2]
    open_stages = [s for s in stages if not s[3]]
    won_stage, lost_stage = stages[-2], stages[-1]
    first = open_stages[o.path[0][0]]
    amount = o.amount
    currency = currency_of(ctx.seed, ctx.currency_share, f"{j.idx}:{o.k}")
    money = {"deal_currency_code": currency}
    if ctx.currency_share > 0:  # a multi-currency portal; single-currency worlds stay as they were
        money["amount_in_home_currency"] = home_amount_hs(amount, currency)
    d = Rec("deals", hs("deals", j.idx * 4 + o.k), o.created, {
        "dealname": f"{j.company.name} - {'New Business' if o.kind == 'new' else 'Expansion'}",
        "pipeline": pipeline[0], "dealstage": first[0], "amount": amount, "closedate": o.expected_close,
        "hubspot_owner_id": o.owner.owner_id, "dealtype": "newbusiness" if o.kind == "new" else "existingbusiness",
        "hs_deal_stage_probability": first[2], "hs_is_closed": False, "hs_is_closed_won": False,
        **money, "fh_competitor": None if "Competitor" in j.missing else o.competitor,
        "fh_region": j.company.region})
    out.recs.append(d)
    for ordinal, t in o.path[1:]:
        s = open_stages[ordinal]
        d.set(t, dealstage=s[0], hs_deal_stage_probability=s[2])
    end = won_stage if o.won else lost_stage
    d.set(o.closed_at, dealstage=end[0], hs_deal_stage_probability=end[2], hs_is_closed=True,
          hs_is_closed_won=o.won, closedate=o.closed_at, closed_lost_reason=None if o.won else o.lost_reason)
    r = reopen_of(ctx.seed, ctx.reopen_share, f"{j.idx}:{o.k}", o.path[-1][1], o.closed_at, o.won)
    if r is not None:  # closed early and reopened before the journey's close, or reopened after it
        last_open = open_stages[o.path[-1][0]]
        if r.kind == "reclosed":
            first_end = won_stage if r.first_won else lost_stage
            d.set(r.first_close_at, dealstage=first_end[0], hs_deal_stage_probability=first_end[2],
                  hs_is_closed=True, hs_is_closed_won=r.first_won, closedate=r.first_close_at)
        d.set(r.reopened_at, dealstage=last_open[0], hs_deal_stage_probability=last_open[2], hs_is_closed=False,
              hs_is_closed_won=False, closedate=r.expected_close)
    out.assocs += [(o.created, "deals", d.id, "contacts", c.id), (o.created, "deals", d.id, "companies",
                                                                   j.company.hs_id)]
    for k, (prod, qty, unit, _list) in enumerate(o.items):
        code, pname, family, _ = C.PRODUCTS[prod]
        li = Rec("line_items", hs("line_items", base + o.k * 16 + k), o.created + 60 + k, {
            "name": pname, "hs_product_id": str(prod + 1), "hs_sku": code, "quantity": qty, "price": unit,
            "amount": qty * unit, "fh_product_family": family})
        out.recs.append(li)
        out.assocs.append((li.created, "deals", d.id, "line_items", li.id))
    o.hs_id = d.id  # type: ignore[attr-defined]
    _ = rng


def _engagements(j: Journey, out: HsPerson, c: Rec, base: int, rates: MessRates) -> None:
    for k, a in enumerate(j.activities):
        t = max(a.t, c.created)
        owner = a.owner.owner_id
        if a.kind == "call":
            props = {"hs_timestamp": t, "hs_call_title": "Call", "hs_call_body": None,
                     "hs_call_direction": "INBOUND" if a.inbound else "OUTBOUND",
                     "hs_call_status": {"Connected": "COMPLETED", "Left voicemail": "COMPLETED",
                                        "No answer": "NO_ANSWER"}[a.outcome],
                     "hs_call_duration": a.duration_s * 1000, "hs_call_disposition": a.outcome,
                     "hubspot_owner_id": owner}
        elif a.kind == "meeting":
            props = {"hs_timestamp": t, "hs_meeting_title": "Demo" if a.opp is not None else "Discovery call",
                     "hs_meeting_start_time": t, "hs_meeting_end_time": t + a.duration_s,
                     "hs_meeting_outcome": a.outcome, "hubspot_owner_id": owner}
        else:
            props = {"hs_timestamp": t, "hs_email_subject": "Following up", "hs_email_direction": "EMAIL",
                     "hs_email_status": "SENT", "hs_email_open_count": a.opened, "hs_email_click_count": a.clicked,
                     "hs_email_reply_count": a.replied, "hubspot_owner_id": owner}
        kind = a.kind + "s"
        e = Rec(kind, hs(kind, base + k), t, props)
        if j.rng.random() < rates.deleted_activity:
            e.deleted_at = t + j.rng.randint(1, 20) * DAY
        out.recs.append(e)
        out.assocs.append((t, kind, e.id, "contacts", c.id))
        if a.opp is not None:
            out.assocs.append((t, kind, e.id, "deals", j.opps[a.opp].hs_id))  # type: ignore[attr-defined]
