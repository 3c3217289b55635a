"""Rates of real-world mess, scaled by a profile ('clean', 'default', 'heavy') or a float multiplier."""

from __future__ import annotations

from dataclasses import dataclass, fields

PROFILES = {"clean": 0.0, "default": 1.0, "heavy": 3.0}


@dataclass(frozen=True)
class MessRates:
    skipped_stage: float = .08
    contact_without_lead: float = .10
    missing_field: float = .10
    duplicate_lead: float = .04
    spam: float = .02
    hard_deleted_member: float = .03
    hs_merge: float = .02
    missing_contact_role: float = .05
    missing_history: float = .03
    late_update: float = .05
    unicode_name: float = .15
    email_variant: float = .30
    deleted_activity: float = .02
    duplicate_opportunity: float = .03

    def scaled(self, factor: float) -> MessRates:
        caps = {"email_variant": 1.0, "unicode_name": .6}
        return MessRates(**{f.name: min(getattr(self, f.name) * factor, caps.get(f.name, .5)) for f in fields(self)})


def mess_factor(mess: str | float) -> float:
    if isinstance(mess, (int, float)):
        if mess < 0:
            raise ValueError(f"mess must be >= 0, got {mess}")
        return float(mess)
    if mess in PROFILES:
        return PROFILES[mess]
    try:
        return mess_factor(float(mess))
    except ValueError:
        raise ValueError(f"mess must be one of {sorted(PROFILES)} or a number, got {mess!r}") from None


def rates_for(mess: str | float) -> MessRates:
    return MessRates().scaled(mess_factor(mess))


@dataclass(frozen=True)
class HubSpotOrgRates:
    """What real HubSpot portals do that the default world never does (`real-orgs.md`, issue 15).

    Off in `clean` and `default` (so those worlds stay exactly as they were), full from `heavy` on;
    applied by `sandbox/world/hs_org.py` with their own seeded draws, never the journey's RNG."""

    modified_lag: float = .05        # updatedAt lags the last-modified property by 1-90 s
    late_association: float = .10    # an association added after both records last changed
    removed_association: float = .04  # an association removed without either record changing
    deal_merge: float = .25          # a duplicate deal merged into its survivor (HubSpot deals are few)
    company_merge: float = .03       # a duplicate company merged into its survivor
    vanished: float = .05            # a contact or engagement GDPR-deleted / purged: gone, never archived
    # a deal (with its line items), a line item, or a company's duplicate deleted instead of merged: archived
    # (restorable 90 days), then purged: gone from the API, the archived list included
    purged: float = .05
    # both CRMs (sandbox/world/currency.py): an opportunity / deal in EUR or GBP, the org multi-currency
    foreign_currency: float = .35
    # both CRMs (sandbox/world/reopen.py): a closed opportunity / deal reopened, then closed again or open now
    reopened_deal: float = .30
    # HubSpot contacts (sandbox/world/render_hs.py): no hs_analytics_source at all (imported / API-created
    # contacts), and form conversions on a form that is no campaign ("Newsletter signup", "Contact us")
    no_source: float = .10
    unmatched_form: float = .10
    # a duplicate HubSpot contact attended a marketing event before it was merged: the participation keeps
    # naming the merged-away contact id (METRICS §1: it counts for the survivor); and (drawn apart) it
    # filled in a form before the merge: the conversion is stored on the duplicate, and at the merge it
    # joins the survivor's property history, as HubSpot keeps the history of both records
    merged_reference: float = .50
    # a disqualified HubSpot contact is set to "bad timing" (hs_lead_status BAD_TIMING: to come back to
    # later, `recycled` in the mapping seed) instead of UNQUALIFIED
    recycled: float = .30

    def scaled(self, factor: float) -> HubSpotOrgRates:
        share = min(1.0, max(0.0, (factor - 1.0) / 2.0))  # 0 up to default (1.0), 1 at heavy (3.0)
        return HubSpotOrgRates(**{f.name: getattr(self, f.name) * share for f in fields(self)})


def hubspot_org_rates(mess: str | float) -> HubSpotOrgRates:
    return HubSpotOrgRates().scaled(mess_factor(mess))


@dataclass(frozen=True)
class SalesforceOrgRates:
    """What real Salesforce orgs do that the default world never does (`real-orgs.md`, issue 15):
    off in `clean` and `default`, full from `heavy` on, applied by `sandbox/world/sf_org.py`.
    The switches are 0/1 shares so they scale like the HubSpot ones."""

    private_activity: float = .05   # restricted integration user: Task/Event rows shared away from it
    restricted_fields: float = 1.0  # restricted integration user: field-level security hides fields
    formula_fields: float = 1.0     # Opportunity.Days_Open__c, calculated, moves without SystemModstamp
    cursor_limit: float = 1.0       # at most 10 open query cursors per user, the oldest released silently
    slow_query: float = 1.0         # REST queries of Task over 300 rows answer QUERY_TIMEOUT (Bulk works)
    custom_objects: float = 1.0     # Salesforce Invoice__c and a HubSpot custom object

    def scaled(self, factor: float) -> SalesforceOrgRates:
        share = min(1.0, max(0.0, (factor - 1.0) / 2.0))
        return SalesforceOrgRates(**{f.name: getattr(self, f.name) * share for f in fields(self)})


def salesforce_org_rates(mess: str | float) -> SalesforceOrgRates:
    return SalesforceOrgRates().scaled(mess_factor(mess))
