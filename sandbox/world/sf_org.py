"""Real-org Salesforce behaviours laid over a rendered world (`SalesforceOrgRates`, issue 15).

The world files stay the org as an administrator sees it; what only the integration user or the API
makes different is written to `salesforce_org.json` at the dataset root and applied by the emulator:

* restricted integration user (`private_activity`, `restricted_fields`): no "View All Data", so some
  Task/Event rows are invisible to it, and field-level security hides fields from describe;
* `formula_fields`: `Opportunity.Days_Open__c` (calculated) is days from creation to close, or to the
  clock while open, so every `advance` changes it without moving `SystemModstamp`;
* `cursor_limit`: at most 10 open query cursors per user, the oldest released silently;
* `slow_query`: REST queries of Task matching more than 300 rows answer `QUERY_TIMEOUT`;
* `custom_objects`: `Invoice__c`, one per won opportunity (paid, voided, some purged = hard-deleted).

Draws are seeded hashes of (seed, knob, record id), never a journey's RNG, so turning a knob on
leaves every other record of the world as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import DAY, parse_instant
from .hs_org import draw
from .mess import SalesforceOrgRates
from .records import Rec, sf_record

ORG_FILE = "salesforce_org.json"
HIDDEN_FIELDS = {"Task": ["CallDisposition"], "Event": ["EventSubtype"]}
FORMULA_FIELDS = {"Opportunity": ["Days_Open__c"]}
MAX_CURSORS = 10
QUERY_TIMEOUT_ROWS = {"Task": 300}
PRIVATE_OBJECTS = ("Task", "Event")
_AUDIT = [("CreatedDate", "datetime"), ("LastModifiedDate", "datetime"), ("SystemModstamp", "datetime")]
CUSTOM_FIELDS: dict[str, list[tuple[str, str]]] = {
    "Invoice__c": [("Id", "id"), ("IsDeleted", "boolean"), ("Name", "string"),
                   ("Opportunity__c", "reference:Opportunity"), ("Account__c", "reference:Account"),
                   ("Amount__c", "currency"), ("Status__c", "picklist"), ("Due_Date__c", "date"), *_AUDIT],
}


def read_org(root: Path) -> dict[str, Any]:
    """The org description a dataset carries (empty: an unrestricted org with no special behaviour)."""
    path = root / ORG_FILE
    return json.loads(path.read_text()) if path.exists() else {}


@dataclass
class SfOrg:
    seed: int
    rates: SalesforceOrgRates
    clock: int
    private: dict[str, list[str]] = field(default_factory=dict)
    invoices: int = 0

    @property
    def on(self) -> bool:
        return any(v > 0 for v in vars(self.rates).values())

    def row(self, obj: str, row: dict[str, Any]) -> dict[str, Any]:
        """One rendered Salesforce row with the knobs applied (formula values; private rows noted)."""
        if obj in PRIVATE_OBJECTS and draw(self.seed, "private_activity", row["Id"]) < self.rates.private_activity:
            self.private.setdefault(obj, []).append(row["Id"])
        if obj == "Opportunity" and self.rates.formula_fields > 0:
            created = parse_instant(row["CreatedDate"])
            end = parse_instant(row["CloseDate"]) if row.get("IsClosed") and row.get("CloseDate") else self.clock
            row["Days_Open__c"] = max(0, end - created) // DAY
        return row

    def invoice(self, opp: dict[str, Any]) -> dict[str, Any] | None:
        """The invoice of a won opportunity, as of the clock (None before it exists or once purged)."""
        if self.rates.custom_objects <= 0 or not opp.get("IsWon") or not opp.get("CloseDate") or opp.get("IsDeleted"):
            return None
        created = parse_instant(opp["CloseDate"]) + DAY + int(3600 * 8 * draw(self.seed, "invoice_at", opp["Id"]))
        self.invoices += 1
        rid = "a0X" + opp["Id"][3:]
        rec = Rec("Invoice__c", rid, created, {
            "Name": f"INV-{int(draw(self.seed, 'invoice_no', opp['Id']) * 10**7):07d}",
            "Opportunity__c": opp["Id"], "Account__c": opp.get("AccountId"), "Amount__c": opp.get("Amount"),
            "Status__c": "Sent", "Due_Date__c": created + 30 * DAY})
        fate = draw(self.seed, "invoice_fate", opp["Id"])
        if fate < .08:
            rec.deleted_at = created + 10 * DAY          # voided: soft-deleted (IsDeleted, recycle bin)
        else:
            if fate < .35:  # purged by a retention job 10-17 months on: hard-deleted, gone from queryAll
                rec.gone_at = created + int((300 + 200 * draw(self.seed, "invoice_purged", opp["Id"])) * DAY)
            rec.set(created + int((20 + 20 * draw(self.seed, "invoice_paid", opp["Id"])) * DAY), Status__c="Paid")
        return sf_record(rec, self.clock, CUSTOM_FIELDS["Invoice__c"])

    def describe(self) -> dict[str, Any]:
        """What `salesforce_org.json` holds: read by the emulator (`sandbox/emulators/dataset.py`)."""
        r = self.rates
        restricted = r.private_activity > 0 or r.restricted_fields > 0
        return {
            "view_all_data": not restricted,
            "hidden_fields": HIDDEN_FIELDS if r.restricted_fields > 0 else {},
            "private_rows": {k: sorted(v) for k, v in sorted(self.private.items())},
            "formula_fields": FORMULA_FIELDS if r.formula_fields > 0 else {},
            "max_cursors": MAX_CURSORS if r.cursor_limit > 0 else None,
            "query_timeout_rows": QUERY_TIMEOUT_ROWS if r.slow_query > 0 else {},
        }
