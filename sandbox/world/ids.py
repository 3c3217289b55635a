"""Record ids: real-looking 18-character Salesforce ids, numeric HubSpot ids."""

from __future__ import annotations

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

SF_PREFIX = {
    "Account": "001", "Contact": "003", "User": "005", "Opportunity": "006", "OpportunityHistory": "008",
    "Lead": "00Q", "UserRole": "00E", "OpportunityContactRole": "00K", "Task": "00T", "Event": "00U",
    "OpportunityLineItem": "00k", "CampaignMember": "00v", "LeadHistory": "017", "Product2": "01t",
    "Campaign": "701", "PricebookEntry": "01u", "Pricebook2": "01s",
}
#: per-person records get number person_index * PER_PERSON + k
PER_PERSON = 256


def _b62(n: int, width: int) -> str:
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(B62[r])
    return "".join(reversed(out)).rjust(width, "0")


_MASK = str.maketrans({c: "1" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} | {c: "0" for c in B62[:10] + B62[36:]})


def sf_id(obj: str, n: int) -> str:
    """18-char id: key prefix + pod + number, plus the case-safe checksum suffix."""
    body = SF_PREFIX[obj] + "Hp0" + _b62(n, 9)
    bits = body.translate(_MASK)
    return (body + _SUFFIX[int(bits[4::-1], 2)] + _SUFFIX[int(bits[9:4:-1], 2)]
            + _SUFFIX[int(bits[14:9:-1], 2)])


def hs_id(base: int, n: int) -> str:
    return str(base + n)


HS_BASE = {
    "contacts": 1_000, "companies": 5_000_000_000, "deals": 9_000_000_000, "line_items": 12_000_000_000,
    "calls": 30_000_000_000, "emails": 40_000_000_000, "meetings": 50_000_000_000, "owners": 70_000_000,
    "marketing_events": 300_000, "participations": 80_000_000_000,
}


def hs(kind: str, n: int) -> str:
    return str(HS_BASE[kind] + n)
