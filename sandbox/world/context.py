"""World-wide entities shared by all people: reps, companies, campaigns, products, the arrival process."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from functools import cached_property, lru_cache

from . import catalog as C
from .clock import DAY, HISTORY_DAYS, START, month_index, month_start
from .ids import hs, sf_id
from .mess import MessRates


@dataclass(frozen=True)
class Rep:
    idx: int
    kind: str          # ceo, vp, manager, sdr, ae
    region: str | None
    first: str
    last: str
    team: str
    role_idx: int
    manager_idx: int | None

    @cached_property
    def email(self) -> str:
        return f"{self.first.lower()}.{self.last.lower()}@funnelhouse.example"

    @cached_property
    def sf_id(self) -> str:
        return sf_id("User", self.idx + 1)

    @cached_property
    def owner_id(self) -> str:
        return hs("owners", self.idx + 1)


@dataclass(frozen=True)
class Company:
    idx: int
    name: str
    domain: str
    segment: str
    region: str
    country: str
    industry: str
    employees: int
    revenue: float
    created: int

    @cached_property
    def sf_id(self) -> str:
        return sf_id("Account", self.idx + 1)

    @cached_property
    def hs_id(self) -> str:
        return hs("companies", self.idx + 1)


ROLE_NAMES = ["CEO", "VP Sales"] + [f"Sales Manager {r}" for r in C.REGIONS] + ["Account Executive",
                                                                               "Sales Development Rep"]


class WorldContext:
    def __init__(self, seed: int, people: int, rates: MessRates, clock: int) -> None:
        self.seed = seed
        self.people = people
        self.rates = rates
        #: share of opportunities / deals in a foreign currency (HubSpotOrgRates.foreign_currency; 0: USD only)
        self.currency_share = 0.0
        #: share of closed opportunities / deals reopened (HubSpotOrgRates.reopened_deal; 0: none)
        self.reopen_share = 0.0
        #: share of HubSpot contacts without hs_analytics_source / of form conversions on a form that names
        #: no campaign (HubSpotOrgRates.no_source / unmatched_form; 0: none)
        self.no_source_share = 0.0
        self.unmatched_form_share = 0.0
        #: share of merged-away HubSpot contacts with a participation stored before the merge, and
        #: (drawn apart) with a form conversion before it (HubSpotOrgRates.merged_reference; 0: none)
        self.merged_reference_share = 0.0
        #: share of disqualified HubSpot contacts marked BAD_TIMING, not UNQUALIFIED (HubSpotOrgRates.recycled)
        self.recycled_share = 0.0
        self.clock = clock
        self.n_companies = max(20, people // 4)
        self._rate = people / HISTORY_DAYS   # arrivals per day on average over the first history
        self.reps = self._make_reps()
        self.sdrs = {r: [p for p in self.reps if p.kind == "sdr" and p.region == r] for r in C.REGIONS}
        self.aes = {r: [p for p in self.reps if p.kind == "ae" and p.region == r] for r in C.REGIONS}
        self.company = lru_cache(maxsize=8192)(self._company)
        self.cost_scale = max(people, 200) / 5000
        self.campaign_numbers = [n for n in range((month_index(clock) + 2) * len(C.CHANNELS))
                                 if self.campaign_created(n) <= clock]
        self.campaign_names_by_id = {self.campaign_id(n): self.campaign_name(n) for n in self.campaign_numbers}
        self.campaign_ids_by_name = {v: k for k, v in self.campaign_names_by_id.items()}
        self._channel_by_id = {self.campaign_id(n): self.campaign_channel(n).key for n in self.campaign_numbers}

    def channel_of(self, campaign_id: str | None) -> str:
        return self._channel_by_id.get(campaign_id or "", "unknown")

    def campaign_created(self, number: int) -> int:
        return month_start(number // len(C.CHANNELS)) - 14 * DAY

    # ---- arrivals: density ramps 0.6x -> 1.4x over the first history, then stays at 1.4x
    def arrival(self, idx: int, u: float) -> int:
        x = idx + u
        r, d_total = self._rate, HISTORY_DAYS
        if x <= self.people:
            a, b = 0.4 * r / d_total, 0.6 * r
            d = (-b + math.sqrt(b * b + 4 * a * x)) / (2 * a)
        else:
            d = d_total + (x - self.people) / (1.4 * r)
        return START + int(d * DAY)

    def _make_reps(self) -> list[Rep]:
        rng = random.Random(f"{self.seed}:reps")
        reps: list[Rep] = []

        def add(kind: str, region: str | None, team: str, role_idx: int, manager: int | None) -> None:
            first, last = rng.choice(C.FIRST_NAMES), rng.choice(C.LAST_NAMES)
            reps.append(Rep(len(reps), kind, region, first, f"{last}{len(reps)}", team, role_idx, manager))

        add("ceo", None, "Executive", 0, None)
        add("vp", None, "Sales Leadership", 1, 0)
        managers = {}
        for i, region in enumerate(C.REGIONS):
            managers[region] = len(reps)
            add("manager", region, f"Sales Management {region}", 2 + i, 1)
        n_sdr = min(120, max(4, self.people // 600))
        n_ae = min(200, max(8, self.people // 300))
        for k in range(n_sdr):
            region = C.REGIONS[k % 4] if k < 4 else rng.choices(C.REGIONS, C.REGION_WEIGHTS)[0]
            add("sdr", region, f"SDR {region}", 7, managers[region])
        for k in range(n_ae):
            region = C.REGIONS[k % 4] if k < 4 else rng.choices(C.REGIONS, C.REGION_WEIGHTS)[0]
            tier = "Enterprise" if k % 3 == 0 else "Commercial"
            add("ae", region, f"AE {region} {tier}", 6, managers[region])
        return reps

    def _company(self, cidx: int) -> Company:
        rng = random.Random(f"{self.seed}:co:{cidx}")
        a, b = C.COMPANY_WORDS_A, C.COMPANY_WORDS_B
        combo = (cidx * 7) % (len(a) * len(b))
        gen = cidx // (len(a) * len(b))
        wa, wb = a[combo // len(b)], b[combo % len(b)]
        tag = "" if gen == 0 else str(gen + 1)
        name = f"{wa} {wb}{(' ' + tag) if tag else ''} {rng.choice(C.COMPANY_SUFFIX)}"
        domain = f"{wa.lower()}{wb.lower()}{tag}.{C.TLDS[cidx % len(C.TLDS)]}"
        seg = rng.choices(C.SEGMENTS, (.55, .30, .15))[0]
        region = rng.choices(C.REGIONS, C.REGION_WEIGHTS)[0]
        employees = {"SMB": rng.randint(10, 199), "Mid-Market": rng.randint(200, 1999),
                     "Enterprise": rng.randint(2000, 50000)}[seg]
        return Company(cidx, name, domain, seg, region, rng.choice(C.COUNTRIES[region]), rng.choice(C.INDUSTRIES),
                       employees, float(employees * rng.randint(80, 300) * 1000),
                       START - rng.randint(1, 400) * DAY + rng.randint(0, DAY - 1))

    def account_owner(self, company: Company) -> Rep:
        aes = self.aes[company.region]
        return aes[company.idx % len(aes)]

    # ---- campaigns: one per channel per month
    @staticmethod
    def campaign_number(month: int, channel_key: str) -> int:
        return month * len(C.CHANNELS) + [c.key for c in C.CHANNELS].index(channel_key)

    @staticmethod
    def campaign_channel(number: int) -> C.Channel:
        return C.CHANNELS[number % len(C.CHANNELS)]

    @staticmethod
    def campaign_id(number: int) -> str:
        return sf_id("Campaign", number + 1)

    def campaign_name(self, number: int) -> str:
        month, ch = divmod(number, len(C.CHANNELS))
        channel = C.CHANNELS[ch]
        theme = channel.themes[month % len(channel.themes)]
        return f"{time.strftime('%Y-%m', time.gmtime(month_start(month)))} {channel.label}: {theme}"

    def campaign_event_time(self, number: int) -> int:
        """Webinars/events happen on one day of their month, at 16:00 UTC."""
        month = number // len(C.CHANNELS)
        return month_start(month) + (9 + number % 11) * DAY + 16 * 3600
