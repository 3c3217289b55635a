"""World-wide records: roles, users/owners, products, campaigns, accounts/companies, pipelines, marketing events."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from . import catalog as C
from .clock import DAY, NEW_FIELD_AT, START, hs_datetime, month_start
from .context import ROLE_NAMES, WorldContext
from .ids import hs, sf_id
from .records import Rec


def sf_globals(ctx: WorldContext) -> Iterator[Rec]:
    t_org = START - 500 * DAY
    for i, name in enumerate(ROLE_NAMES):
        parent = None if i == 0 else sf_id("UserRole", 1 if i == 1 else 2)
        yield Rec("UserRole", sf_id("UserRole", i + 1), t_org, {
            "Name": name, "DeveloperName": name.replace(" ", "_"), "ParentRoleId": parent,
            "RollupDescription": name})
    for rep in ctx.reps:
        yield Rec("User", rep.sf_id, t_org + rep.idx * 3600, {
            "Username": rep.email.replace(".example", ".example.sandbox"), "FirstName": rep.first,
            "LastName": rep.last, "Name": f"{rep.first} {rep.last}", "Email": rep.email, "IsActive": True,
            "UserRoleId": sf_id("UserRole", rep.role_idx + 1), "Title": {"sdr": "Sales Development Rep",
                                                                        "ae": "Account Executive"}.get(rep.kind,
                                                                                                       rep.team),
            "Department": rep.team,
            "ManagerId": None if rep.manager_idx is None else ctx.reps[rep.manager_idx].sf_id,
            "Region__c": rep.region})
    for i, (code, name, family, _price) in enumerate(C.PRODUCTS):
        yield Rec("Product2", sf_id("Product2", i + 1), t_org, {
            "Name": name, "ProductCode": code, "Family": family, "IsActive": True,
            "Description": f"{family}: {name}"})
    for n in ctx.campaign_numbers:
        yield campaign(ctx, n)


def sf_accounts(ctx: WorldContext, first_won: dict[int, int]) -> Iterator[Rec]:
    """Accounts; an account becomes `Customer - Direct` when its first opportunity is won."""
    for cidx in range(ctx.n_companies):
        co = ctx.company(cidx)
        rng = random.Random(f"{ctx.seed}:acct:{cidx}")
        acct = Rec("Account", co.sf_id, co.created, {
            "Name": co.name, "Type": "Prospect", "Industry": co.industry, "NumberOfEmployees": co.employees,
            "AnnualRevenue": co.revenue, "Website": f"https://www.{co.domain}", "BillingCountry": co.country,
            "OwnerId": ctx.account_owner(co).sf_id, "Segment__c": co.segment, "Region__c": co.region})
        if rng.random() < .3:
            acct.set(NEW_FIELD_AT + rng.randint(0, 3 * DAY), Partner_Tier__c=rng.choice(("Gold", "Silver", "Bronze")))
        if cidx in first_won:
            acct.set(first_won[cidx] + 600, Type="Customer - Direct")
        yield acct


def campaign(ctx: WorldContext, n: int) -> Rec:
    ch = ctx.campaign_channel(n)
    month = n // len(C.CHANNELS)
    rng = random.Random(f"{ctx.seed}:campaign:{n}")
    start, end = month_start(month), month_start(month + 1) - DAY
    budget = float(round(ch.monthly_budget * ctx.cost_scale * rng.uniform(.8, 1.2), -2))
    rec = Rec("Campaign", ctx.campaign_id(n), ctx.campaign_created(n), {
        "Name": ctx.campaign_name(n), "Type": ch.campaign_type, "Status": "Planned", "IsActive": False,
        "StartDate": start, "EndDate": end, "BudgetedCost": budget, "ActualCost": None,
        "ExpectedRevenue": float(round(budget * 4, -2)), "NumberSent": None, "ParentId": None,
        "OwnerId": ctx.reps[1].sf_id})
    rec.set(start, Status="In Progress", IsActive=True)
    actual = float(round(budget * rng.uniform(.85, 1.1), -2))
    rec.set(end + DAY + 3600 * 9, Status="Completed", IsActive=False, ActualCost=actual,
            NumberSent=float(rng.randint(500, 5000)) if ch.key == "email" else None)
    return rec


def hs_companies(ctx: WorldContext, first_won: dict[int, int]) -> Iterator[Rec]:
    """Companies; lifecyclestage becomes `customer` when the company's first deal/opportunity is won."""
    for cidx in range(ctx.n_companies):
        co = ctx.company(cidx)
        rng = random.Random(f"{ctx.seed}:hsco:{cidx}")
        rec = Rec("companies", co.hs_id, co.created + 3600, {
            "name": co.name, "domain": co.domain, "industry": co.industry.upper().replace(" ", "_"),
            "numberofemployees": co.employees, "annualrevenue": co.revenue, "country": co.country,
            "lifecyclestage": "lead", "hubspot_owner_id": ctx.account_owner(co).owner_id,
            "fh_segment": co.segment, "fh_region": co.region})
        if rng.random() < .3:
            rec.set(NEW_FIELD_AT + rng.randint(0, 3 * DAY), fh_partner_tier=rng.choice(("gold", "silver", "bronze")))
        if cidx in first_won:
            rec.set(first_won[cidx] + 900, lifecyclestage="customer")
        yield rec


def hs_owners(ctx: WorldContext) -> Iterator[dict[str, Any]]:
    teams = sorted({r.team for r in ctx.reps})
    for rep in ctx.reps:
        t = hs_datetime(START - 400 * DAY + rep.idx * 3600)
        yield {"id": rep.owner_id, "email": rep.email, "type": "PERSON", "firstName": rep.first, "lastName": rep.last,
               "userId": 9_000_000 + rep.idx, "userIdIncludingInactive": 9_000_000 + rep.idx, "createdAt": t,
               "updatedAt": t, "archived": False,
               "teams": [{"id": str(100 + teams.index(rep.team)), "name": rep.team, "primary": True}]}


def hs_pipelines() -> dict[str, list[dict[str, Any]]]:
    t = hs_datetime(START - 500 * DAY)
    out = []
    for order, (pid, label, stages) in enumerate(C.HS_PIPELINES):
        out.append({"id": pid, "label": label, "displayOrder": order, "archived": False, "createdAt": t,
                    "updatedAt": t, "stages": [
                        {"id": sid, "label": slabel, "displayOrder": i, "archived": False, "createdAt": t,
                         "updatedAt": t, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                         "metadata": {"isClosed": "true" if closed else "false", "probability": prob}}
                        for i, (sid, slabel, prob, closed) in enumerate(stages)]})
    return {"deals": out}


def marketing_events(ctx: WorldContext) -> Iterator[dict[str, Any]]:
    for n in ctx.campaign_numbers:
        ch = ctx.campaign_channel(n)
        if ch.key not in C.EVENT_CHANNELS:
            continue
        start = ctx.campaign_event_time(n)
        end = start + (3600 if ch.key == "webinar" else 8 * 3600)
        yield {"objectId": hs("marketing_events", n), "externalEventId": ctx.campaign_id(n),
               "externalAccountId": "funnelhouse-sandbox", "eventName": ctx.campaign_name(n),
               "eventType": "WEBINAR" if ch.key == "webinar" else "CONFERENCE", "eventOrganizer": "Funnelhouse",
               "eventDescription": ctx.campaign_name(n), "eventUrl": f"https://events.funnelhouse.example/{n}",
               "eventCancelled": False, "eventCompleted": end <= ctx.clock, "startDateTime": hs_datetime(start),
               "endDateTime": hs_datetime(end), "createdAt": hs_datetime(ctx.campaign_created(n)),
               "updatedAt": hs_datetime(min(max(end, ctx.campaign_created(n)), ctx.clock)),
               "customProperties": []}
