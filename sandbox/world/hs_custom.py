"""A HubSpot custom object (knob `custom_objects`, on in `--mess heavy`): invoices, object type
`2-4000001` (fully qualified name `p4000_invoices`), one for about half the companies, paid later,
some archived, some purged (gone from the API without being archived). The schema is written to
`hubspot/schemas.json`, which the emulator serves as `GET /crm/v3/schemas`. Draws are seeded
hashes of (seed, knob, company id), never a journey's RNG."""

from __future__ import annotations

from typing import Any

from .clock import DAY, hs_datetime, parse_instant
from .hs_org import draw
from .records import Rec, hs_object

TYPE_ID = "2-4000001"
NAME = "invoices"
FULLY_QUALIFIED = "p4000_invoices"
PROPERTIES = ("invoice_number", "amount", "invoice_status", "company_id", "createdate", "hs_lastmodifieddate",
              "hs_object_id")


def schema(created: int) -> dict[str, Any]:
    stamp = hs_datetime(created)
    return {"id": "4000001", "objectTypeId": TYPE_ID, "name": NAME, "fullyQualifiedName": FULLY_QUALIFIED,
            "labels": {"singular": "Invoice", "plural": "Invoices"}, "primaryDisplayProperty": "invoice_number",
            "requiredProperties": ["invoice_number"], "searchableProperties": ["invoice_number"],
            "properties": [{"name": p, "label": p.replace("_", " ").capitalize()} for p in PROPERTIES],
            "associations": [], "archived": False, "createdAt": stamp, "updatedAt": stamp}


def invoice(seed: int, clock: int, company: dict[str, Any]) -> dict[str, Any] | None:
    """The invoice of one rendered company object, as of the clock (None when it has none yet)."""
    cid = str(company["id"])
    if company.get("archived") or draw(seed, "hs_invoice", cid) >= .5:
        return None
    created = parse_instant(company["createdAt"]) + int((10 + 900 * draw(seed, "hs_invoice_at", cid)) * DAY)
    amount = round(500 + 20_000 * draw(seed, "hs_invoice_amount", cid), 2)
    rec = Rec(TYPE_ID, str(700_000_000 + int(cid)), created,
              {"invoice_number": f"HS-{cid}", "amount": amount, "invoice_status": "open", "company_id": cid})
    fate = draw(seed, "hs_invoice_fate", cid)
    rec.set(created + int((15 + 40 * draw(seed, "hs_invoice_paid", cid)) * DAY), invoice_status="paid")
    if fate < .1:
        rec.deleted_at = created + 70 * DAY  # archived
    elif fate < .3:
        rec.gone_at = created + int((200 + 700 * draw(seed, "hs_invoice_purged", cid)) * DAY)  # purged
    return hs_object(rec, clock, TYPE_ID, None)
