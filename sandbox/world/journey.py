"""The hidden truth of one person's life: arrival, touches, stage progression, deals, activities, mess."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import catalog as C
from .clock import DAY, month_index
from .context import Company, Rep, WorldContext

HOUR = 3600


@dataclass
class Touch:
    t: int
    channel: str
    campaign: int        # campaign number
    first: bool = False


@dataclass
class Activity:
    t: int
    kind: str            # call, email, meeting
    owner: Rep
    opp: int | None      # index into Journey.opps
    duration_s: int = 0  # calls, meetings
    outcome: str = ""    # call disposition / meeting outcome
    inbound: bool = False
    opened: int = 0
    clicked: int = 0
    replied: int = 0


@dataclass
class Opp:
    k: int
    kind: str                         # new, expansion
    created: int
    path: list[tuple[int, int]]       # (open stage ordinal, entered at)
    won: bool
    closed_at: int
    expected_close: int
    items: list[tuple[int, float, float, float]]  # (product idx, qty, unit price, list price)
    competitor: str | None
    lost_reason: str
    owner: Rep
    campaign: int | None

    @property
    def amount(self) -> float:
        return float(round(sum(q * u for _, q, u, _ in self.items)))


@dataclass
class Journey:
    idx: int
    rng: random.Random
    t0: int
    presence: str                     # sf, hs, both
    spam: bool
    channel: str
    company: Company
    first: str
    last: str
    email: str                        # canonical, lower case
    title: str | None
    phone: str | None
    sdr: Rep
    ae: Rep
    mql: int | None = None
    sql: int | None = None
    opp_at: int | None = None
    disq_at: int | None = None
    working_at: int | None = None
    touches: list[Touch] = field(default_factory=list)
    opps: list[Opp] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    email_events: list[tuple[int, str]] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    sf_skip_mql: bool = False
    hs_skip: str | None = None        # lifecycle stage HubSpot skips
    contact_only: bool = False
    no_ocr: bool = False
    no_history: bool = False
    dup_lead: tuple[int, int | None] | None = None   # (created, deleted_at)
    hs_dup: tuple[int, int] | None = None            # (created, merged_at)
    late_update: int | None = None
    lag_sf: int = 0
    lag_hs: int = 0

    @property
    def in_sf(self) -> bool:
        return self.presence in ("sf", "both")

    @property
    def in_hs(self) -> bool:
        return self.presence in ("hs", "both")


def _days(rng: random.Random, mean: float) -> int:
    return int((0.3 + rng.expovariate(1 / mean)) * DAY) + rng.randint(0, 8 * HOUR)


def email_variant(rng: random.Random, email: str, rate: float) -> str:
    if rng.random() >= rate:
        return email
    local, domain = email.split("@")
    style = rng.randrange(3)
    if style == 0:
        return local.title() + "@" + domain.capitalize()
    if style == 1:
        return " " + email + " "
    return email.upper()


def simulate(ctx: WorldContext, idx: int) -> Journey:
    rng = random.Random(f"{ctx.seed}:{idx}")
    rates = ctx.rates
    t0 = ctx.arrival(idx, rng.random())
    r = rng.random()
    presence = "sf" if r < .45 else "hs" if r < .70 else "both"
    company = ctx.company(rng.randrange(ctx.n_companies))
    if rng.random() < rates.unicode_name:
        first, first_a = rng.choice(C.UNICODE_FIRST)
    else:
        first = first_a = rng.choice(C.FIRST_NAMES)
    if rng.random() < rates.unicode_name:
        last, last_a = rng.choice(C.UNICODE_LAST)
    else:
        last = last_a = rng.choice(C.LAST_NAMES)
    email = f"{first_a.lower()}.{last_a.lower()}{idx}@{company.domain}"
    channel = rng.choices([c.key for c in C.CHANNELS], [c.weight for c in C.CHANNELS])[0]
    sdrs, aes = ctx.sdrs[company.region], ctx.aes[company.region]
    j = Journey(idx, rng, t0, presence, rng.random() < rates.spam, channel, company, first, last, email,
                rng.choice(C.TITLES), f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                rng.choice(sdrs), rng.choice(aes))
    for f in ("Title", "Phone", "Industry", "LeadSource", "Competitor", "source_data_2", "CampaignId"):
        if rng.random() < rates.missing_field:
            j.missing.add(f)
    if j.presence == "both":
        j.lag_sf = rng.randint(60, 1800)
        j.lag_hs = rng.randint(60, 5400)
    if j.spam:
        return j
    ch = C.CHANNEL_BY_KEY[channel]
    j.touches.append(Touch(t0, channel, ctx.campaign_number(month_index(t0), channel), first=True))
    # stage progression
    t = t0
    if rng.random() < .6:
        j.working_at = t0 + _days(rng, 2)
    if rng.random() < ch.p_mql:
        j.mql = t = t + _days(rng, ch.d_mql)
        if j.working_at and j.working_at >= j.mql:
            j.working_at = None
        if rng.random() < ch.p_sql:
            j.sql = t = t + _days(rng, ch.d_sql)
            if rng.random() < ch.p_opp:
                j.opp_at = t = t + _days(rng, ch.d_opp)
            elif rng.random() < .7:
                j.disq_at = t + _days(rng, 20)
        elif rng.random() < .5:
            j.disq_at = t + _days(rng, 25)
    elif rng.random() < .5:
        j.disq_at = t0 + _days(rng, 30)
    if j.working_at and j.disq_at and j.working_at >= j.disq_at:
        j.working_at = None
    if j.opp_at is not None:
        _new_opp(ctx, j, "new", j.opp_at)
        first_opp = j.opps[0]
        if first_opp.won and rng.random() < .2:
            _new_opp(ctx, j, "expansion", first_opp.closed_at + rng.randint(60, 300) * DAY)
    _touches(ctx, j)
    _activities(j)
    _mess(j, rates)
    return j


def _new_opp(ctx: WorldContext, j: Journey, kind: str, created: int) -> None:
    rng = j.rng
    ch = C.CHANNEL_BY_KEY[j.channel]
    won = rng.random() < (ch.p_win if kind == "new" else .6)
    n_open = 5 if kind == "new" else 2
    last_open = n_open - 1 if won else rng.randrange(n_open)
    total = _days(rng, ch.d_close if kind == "new" else 30)
    ordinals = list(range(last_open + 1))
    if kind == "new" and len(ordinals) > 2 and rng.random() < ctx.rates.skipped_stage:
        ordinals.pop(rng.randrange(1, len(ordinals) - 1))
    steps = len(ordinals) + 1
    cuts = sorted(rng.random() for _ in range(steps - 1))
    path = [(o, created + (0 if i == 0 else int(total * cuts[i - 1]))) for i, o in enumerate(ordinals)]
    closed_at = created + total
    seg = C.SEGMENTS.index(j.company.segment)
    items: list[tuple[int, float, float, float]] = []
    if kind == "new":
        items.append(_item(rng, seg, 1.0))
    for p in (3, 4):
        if rng.random() < (.4 if kind == "new" else .6):
            items.append(_item(rng, p, 1.0))
    for p in (5, 6):
        if rng.random() < .3:
            items.append(_item(rng, p, float(rng.randint(1, 3))))
    if not items:
        items.append(_item(rng, 3, 1.0))
    campaign = j.touches[0].campaign if kind == "new" and j.touches else None
    j.opps.append(Opp(len(j.opps), kind, created, path, won, closed_at,
                      created + int(total * rng.uniform(.7, 1.4)) // DAY * DAY, items,
                      rng.choice(C.COMPETITORS), rng.choice(C.LOST_REASONS), j.ae, campaign))


def _item(rng: random.Random, p: int, qty: float) -> tuple[int, float, float, float]:
    list_price = float(C.PRODUCTS[p][3])
    return p, qty, float(round(list_price * (1 - rng.choice((0, 0, .05, .1, .15))))), list_price


def _touches(ctx: WorldContext, j: Journey) -> None:
    rng = j.rng
    depth = sum(x is not None for x in (j.mql, j.sql, j.opp_at))  # engaged people go further
    n = min(int(rng.expovariate(1 / (0.8 + 0.8 * depth))), 10)
    horizon = j.opps[0].closed_at if j.opps else (j.sql or j.mql or j.t0) + 120 * DAY
    for _ in range(n):
        t = rng.randint(j.t0 + DAY, max(j.t0 + 2 * DAY, horizon))
        channel = rng.choices(C.FOLLOWUP_CHANNELS, C.FOLLOWUP_WEIGHTS)[0]
        number = ctx.campaign_number(month_index(t), channel)
        if channel in C.EVENT_CHANNELS:
            t = max(ctx.campaign_event_time(number), j.t0 + HOUR)
            number = ctx.campaign_number(month_index(t), channel)
        j.touches.append(Touch(t, channel, number))
    j.touches.sort(key=lambda x: x.t)
    if j.in_hs:
        for _ in range(rng.randint(0, 3 + 3 * depth)):
            t = rng.randint(j.t0 + HOUR, j.t0 + 300 * DAY)
            j.email_events.append((t, "open"))
            if rng.random() < .3:
                j.email_events.append((t + rng.randint(60, 3600), "click"))
        j.email_events.sort()


def _activities(j: Journey) -> None:
    rng = j.rng
    end_sdr = j.sql or j.disq_at or j.t0 + 45 * DAY
    start_sdr = j.working_at or j.t0 + HOUR
    for _ in range(rng.randint(0, 3)):
        _act(j, "email", j.sdr, rng.randint(start_sdr, max(start_sdr + 1, end_sdr)), None)
    for _ in range(rng.randint(0, 2)):
        _act(j, "call", j.sdr, rng.randint(start_sdr, max(start_sdr + 1, end_sdr)), None)
    for o in j.opps:
        start = o.created if o.kind == "expansion" else (j.sql or o.created)
        for kind, lo, hi in (("call", 1, 5), ("email", 2, 6), ("meeting", 1, 4)):
            for _ in range(rng.randint(lo, hi)):
                t = rng.randint(start, max(start + 1, o.closed_at))
                _act(j, kind, o.owner, t, o.k if t >= o.created else None)
    j.activities.sort(key=lambda a: a.t)


def _act(j: Journey, kind: str, owner: Rep, t: int, opp: int | None) -> None:
    rng = j.rng
    a = Activity(t, kind, owner, opp)
    if kind == "call":
        a.outcome = rng.choices(("Connected", "Left voicemail", "No answer"), (.5, .3, .2))[0]
        a.duration_s = rng.randint(120, 1800) if a.outcome == "Connected" else rng.randint(10, 60)
        a.inbound = rng.random() < .15
    elif kind == "meeting":
        a.duration_s = rng.choice((30, 45, 60)) * 60
        a.outcome = rng.choices(("COMPLETED", "NO_SHOW", "CANCELED"), (.85, .1, .05))[0]
    else:
        a.opened = rng.choice((0, 1, 1, 2, 3))
        a.clicked = 1 if a.opened and rng.random() < .3 else 0
        a.replied = 1 if a.opened and rng.random() < .25 else 0
    j.activities.append(a)


def _mess(j: Journey, rates) -> None:  # noqa: ANN001
    rng = j.rng
    if j.in_sf:
        j.contact_only = rng.random() < rates.contact_without_lead
        j.sf_skip_mql = j.mql is not None and j.sql is not None and rng.random() < rates.skipped_stage
        j.no_ocr = not j.contact_only and rng.random() < rates.missing_contact_role
        j.no_history = rng.random() < rates.missing_history
        if not j.contact_only and rng.random() < rates.duplicate_lead:
            created = j.t0 + rng.randint(1, 60) * DAY
            j.dup_lead = (created, created + rng.randint(1, 30) * DAY if rng.random() < .5 else None)
    if j.in_hs:
        if rng.random() < rates.skipped_stage:
            j.hs_skip = rng.choice(("marketingqualifiedlead", "salesqualifiedlead"))
        if rng.random() < rates.hs_merge:
            created = j.t0 + rng.randint(5, 100) * DAY
            j.hs_dup = (created, created + rng.randint(3, 60) * DAY)
    if rng.random() < rates.late_update:
        last = max(x for x in (j.t0, j.mql, j.sql, j.opp_at) if x is not None)
        j.late_update = last + rng.randint(30, 200) * DAY
