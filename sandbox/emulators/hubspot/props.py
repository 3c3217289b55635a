"""HubSpot property definitions (/crm/v3/properties/{objectType}) and typed comparison of property values."""

from __future__ import annotations

from typing import Any

from sandbox.world import catalog as C
from sandbox.world.clock import hs_datetime, parse_instant
from sandbox.world.schema import HS_CUSTOM, HS_DATETIME_PROPS, HS_NUMBER_PROPS, HS_PROP_SINCE, HS_PROPERTIES

ENUMS: dict[str, tuple[str, ...]] = {
    "lifecyclestage": ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                       "evangelist", "other"),
    "hs_lead_status": ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
                       "BAD_TIMING"),
    "hs_analytics_source": ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS",
                            "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL"),
    "dealstage": tuple(s[0] for p in C.HS_PIPELINES for s in p[2]),
    "pipeline": tuple(p[0] for p in C.HS_PIPELINES),
    "dealtype": ("newbusiness", "existingbusiness"),
    "hs_call_direction": ("INBOUND", "OUTBOUND"),
    "hs_call_status": ("BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED", "IN_PROGRESS",
                       "NO_ANSWER", "QUEUED", "RINGING"),
    "hs_meeting_outcome": ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
    "hs_email_direction": ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
    "hs_email_status": ("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"),
    "fh_segment": C.SEGMENTS, "fh_region": C.REGIONS, "fh_partner_tier": ("gold", "silver", "bronze"),
    "fh_product_family": ("Platform", "Add-on", "Services"), "fh_competitor": C.COMPETITORS,
}
BOOLS = {"hs_is_closed", "hs_is_closed_won"}
GROUP = {"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation",
         "line_items": "lineiteminformation", "calls": "call", "emails": "email", "meetings": "meeting"}


def prop_type(name: str) -> tuple[str, str]:
    if name in HS_DATETIME_PROPS:
        return "datetime", "date"
    if name in HS_NUMBER_PROPS:
        return "number", "number"
    if name in BOOLS:
        return "bool", "booleancheckbox"
    if name in ENUMS:
        return "enumeration", "select"
    return "string", "text"


def definitions(object_type: str, clock: int, extra: set[str]) -> list[dict[str, Any]]:
    names = [p for p in HS_PROPERTIES.get(object_type, []) if HS_PROP_SINCE.get((object_type, p), 0) <= clock]
    names += sorted(extra - set(names))
    out = []
    t = hs_datetime(parse_instant("2023-06-01T00:00:00Z"))
    for i, name in enumerate(names):
        typ, field_type = prop_type(name)
        custom = name in HS_CUSTOM
        created = hs_datetime(HS_PROP_SINCE.get((object_type, name), parse_instant(t)))
        out.append({
            "name": name, "label": name.replace("hs_", "").replace("_", " ").capitalize(), "type": typ,
            "fieldType": field_type, "description": f"{'Custom' if custom else 'HubSpot'} property {name}",
            "groupName": GROUP.get(object_type, "information"), "displayOrder": i if custom else -1,
            "options": [{"label": v, "value": v, "displayOrder": k, "hidden": False}
                        for k, v in enumerate(ENUMS.get(name, ()))] if typ in ("enumeration",) else
            ([{"label": "Yes", "value": "true", "displayOrder": 0, "hidden": False},
              {"label": "No", "value": "false", "displayOrder": 1, "hidden": False}] if typ == "bool" else []),
            "calculated": False, "externalOptions": False, "hasUniqueValue": name == "hs_object_id",
            "hidden": False, "hubspotDefined": not custom, "formField": object_type == "contacts" and not custom,
            "archived": False, "createdAt": created, "updatedAt": created,
            "modificationMetadata": {"archivable": custom, "readOnlyDefinition": not custom,
                                     "readOnlyValue": name in ("hs_object_id", "createdate", "lastmodifieddate",
                                                               "hs_lastmodifieddate")}})
    return out


def typed(name: str, value: Any) -> Any:
    """A property value (or filter value) as something comparable: epoch ms, float, lower-case text."""
    if value is None or value == "":
        return None
    if name in HS_DATETIME_PROPS or name in ("createdAt", "updatedAt"):
        try:
            return parse_instant(str(value)) * 1000 if not str(value).isdigit() else int(value)
        except ValueError:
            return None
    if name in HS_NUMBER_PROPS:
        try:
            return float(value)
        except ValueError:
            return None
    return str(value).lower()
