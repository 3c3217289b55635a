"""Real-portal HubSpot behaviours laid over a rendered world (`HubSpotOrgRates`, issue 15).

Each behaviour draws from its own seeded hash of (seed, knob, record id), never from a journey's
RNG, so turning a knob on leaves every other record of the world as it was, and the same seed gives
the same world at every clock (`advance` re-renders it):

* `modified_lag`: the envelope's `updatedAt` lags the last-modified property by 1-90 s
  (HubSpot documents no guarantee that they agree).
* `late_association` / `removed_association`: an association appears 5-60 days after it would have,
  or disappears 10-150 days after it appeared, without either record changing.
* `deal_merge` / `company_merge`: a duplicate deal (company) exists for a while, then is merged into
  its survivor, which carries `hs_merged_object_ids`; the duplicate stops being listed.
* `merged_reference`: an association made while a duplicate deal (company) was live names the
  duplicate, not its survivor; HubSpot moves it to the survivor at the merge, so an extractor that
  read it before the merge holds a pair naming the merged-away id until it re-reads the from-object.
  The same for a deal's contact while the person's duplicate contact (`hs_merge`) is live.
* `vanished`: a contact or engagement is GDPR-deleted / purged: gone from the API without ever
  being archived.
* `purged`: a deal (its line items go with it), a line item, or a company's duplicate (created again
  by an import or a second rep, deleted instead of merged) is deleted: archived (HubSpot's recycle bin,
  listed with `archived=true`), then purged 90 days later, gone from the API, the archived list included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .clock import DAY, hs_datetime, parse_instant
from .mess import HubSpotOrgRates
from .records import Rec

#: duplicate records get ids in their own range above the object's normal ids
DUPLICATE_OFFSET = {"deals": 500_000_000, "companies": 500_000_000}
#: a company's duplicate that is deleted instead of merged (knob `purged`)
DELETED_DUPLICATE_OFFSET = 600_000_000
#: HubSpot keeps a deleted (archived) record restorable this long, then purges it
RECYCLE_BIN_DAYS = 90
VANISHING = ("contacts", "calls", "emails", "meetings")


def draw(seed: int, knob: str, key: str) -> float:
    """A uniform [0, 1) number fixed by (seed, knob, key)."""
    digest = hashlib.blake2b(f"{seed}:{knob}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class HsOrg:
    seed: int
    rates: HubSpotOrgRates
    clock: int
    #: (merged_at, object type, primary id, merged id), for `hubspot/object_merges.jsonl`
    merges: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: company id -> (duplicate id, created, merged_at): a duplicate company is entered when the company's
    #: first association is made (a second rep or an import creates it again), so it lives while deals
    #: and contacts are being attached and some of them name it (`merged_reference`)
    _company_dups: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    #: this person's deals: survivor id -> (duplicate id, created, merged_at)
    _deal_dups: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    #: this person's duplicate contact its deals name while it lives: survivor id -> (duplicate id, created, merged_at)
    _contact_dups: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    @property
    def on(self) -> bool:
        return any(v > 0 for v in vars(self.rates).values())

    # -- records -------------------------------------------------------------------------------
    def person(self, recs: list[Rec], assocs: list[tuple[int, str, str, str, str]],
               deal_contact_dup: tuple[str, str, int, int] | None = None
               ) -> tuple[list[Rec], list[tuple[int, str, str, str, str]]]:
        """One person's HubSpot records and associations with the knobs applied. `deal_contact_dup`:
        (survivor id, duplicate id, created, merged_at) of a duplicate contact the person's deals are
        associated with while it lives (`HsPerson.deal_contact_dup`, drawn by render_hs)."""
        if not self.on:
            return recs, assocs
        out = list(recs)
        self._deal_dups = {}
        self._contact_dups = {} if deal_contact_dup is None else {deal_contact_dup[0]: deal_contact_dup[1:]}
        deleted_deals: dict[str, int] = {}
        for rec in recs:
            vanishes = draw(self.seed, "vanished", rec.id) < self.rates.vanished
            if rec.obj in VANISHING and rec.gone_at is None and vanishes:
                rec.gone_at = rec.created + int((20 + 200 * draw(self.seed, "vanished_at", rec.id)) * DAY)
            if rec.obj == "deals":
                dup = self._duplicate(rec, self.rates.deal_merge)
                if dup is not None:
                    out.append(dup)
                    self._deal_dups[rec.id] = (dup.id, dup.created, dup.gone_at or dup.created)
                elif draw(self.seed, "purged", rec.id) < self.rates.purged:  # a merge survivor is never deleted
                    at = rec.created + int((3 + 177 * draw(self.seed, "purged_at", rec.id)) * DAY)
                    deleted_deals[rec.id] = _delete(rec, at)
        if self.rates.purged:
            # A line item belongs to its one deal and is deleted with it (HubSpot); a rep also removes
            # a product from a deal now and then (the line item is deleted).
            deal_of = {tid: fid for _t, ft, fid, tt, tid in assocs if ft == "deals" and tt == "line_items"}
            for rec in recs:
                if rec.obj != "line_items" or rec.deleted_at is not None or rec.gone_at is not None:
                    continue
                ats = [deleted_deals[deal_of[rec.id]]] if deal_of.get(rec.id) in deleted_deals else []
                if draw(self.seed, "purged", rec.id) < self.rates.purged:
                    ats.append(rec.created + int((1 + 59 * draw(self.seed, "purged_at", rec.id)) * DAY))
                if ats:
                    _delete(rec, min(ats))
        return out, [a for a in (self._association(a) for a in assocs) if a is not None]

    def companies(self, recs: Iterator[Rec]) -> Iterator[Rec]:
        for rec in recs:
            # The duplicate first: making it sets the survivor's hs_merged_object_ids.
            dup = self._duplicate(rec, self.rates.company_merge) if self.on else None
            yield rec
            if dup is not None:
                yield dup
            if self.on and draw(self.seed, "purged", rec.id) < self.rates.purged:
                yield self._deleted_duplicate(rec)

    def _deleted_duplicate(self, company: Rec) -> Rec:
        """The company created again (an import, a second rep) and deleted 1-30 days later instead of
        merged: nothing is associated with it; archived, then purged. Same at every clock."""
        created = company.created + int((30 + 700 * draw(self.seed, "purged_created", company.id)) * DAY)
        dup = Rec("companies", str(int(company.id) + DELETED_DUPLICATE_OFFSET), created, dict(company.versions[0][1]))
        _delete(dup, created + int((1 + 29 * draw(self.seed, "purged_at", company.id)) * DAY))
        return dup

    def _deal_plan(self, survivor: Rec, rate: float) -> tuple[str, int, int] | None:
        """(duplicate id, created, merged_at) of a deal's duplicate, entered soon after it, or None."""
        if draw(self.seed, "deals_merge", survivor.id) >= rate:
            return None
        created = survivor.created + int((1 + 5 * draw(self.seed, "dup_created", survivor.id)) * DAY)
        merged_at = created + int((2 + 40 * draw(self.seed, "merged_at", survivor.id)) * DAY)
        return str(int(survivor.id) + DUPLICATE_OFFSET["deals"]), created, merged_at

    def _anchor_company(self, company_id: str, t: int) -> None:
        """Plan a company's duplicate at its first association (people are rendered in time order, so
        the first association seen is the same at every clock that has it)."""
        if company_id in self._company_dups:
            return
        if draw(self.seed, "companies_merge", company_id) >= self.rates.company_merge:
            return
        merged_at = t + int((30 + 150 * draw(self.seed, "merged_at", company_id)) * DAY)
        self._company_dups[company_id] = (str(int(company_id) + DUPLICATE_OFFSET["companies"]), t, merged_at)

    def _duplicate(self, survivor: Rec, rate: float) -> Rec | None:
        plan = self._deal_plan(survivor, rate) if survivor.obj == "deals" else self._company_dups.get(survivor.id)
        if plan is None:
            return None
        dup_id, created, merged_at = plan
        first = survivor.versions[0][1]
        keep = {k: v for k, v in first.items() if k not in ("associatedcompanyid",)}
        dup = Rec(survivor.obj, dup_id, created, keep)
        dup.gone_at = merged_at
        survivor.set(merged_at, hs_merged_object_ids=dup.id)
        self.merges.append((merged_at, survivor.obj, survivor.id, dup.id))
        return dup

    def _named_duplicate(self, t: int, ft: str, tt: str, tid: str, key: str) -> str:
        """The id an association made at `t` names: the target's live duplicate (knob
        `merged_reference`) until the merge, when HubSpot moves the association to the survivor.

        A deal's contact too (`_contact_dups`): render_hs drew it when it made the duplicate for the deal."""
        if ft == "deals" and tt == "contacts":
            plan = self._contact_dups.get(tid)
        elif tt in ("deals", "companies") and draw(self.seed, "merged_reference", key) < self.rates.merged_reference:
            plan = (self._deal_dups if tt == "deals" else self._company_dups).get(tid)
        else:
            plan = None
        if plan is None:
            return tid
        dup_id, created, merged_at = plan
        return dup_id if created <= t < merged_at and self.clock < merged_at else tid

    def _association(self, a: tuple[int, str, str, str, str]) -> tuple[int, str, str, str, str] | None:
        t, ft, fid, tt, tid = a
        key = f"{ft}:{fid}:{tt}:{tid}"
        if draw(self.seed, "late_association", key) < self.rates.late_association:
            t += int((5 + 55 * draw(self.seed, "late_by", key)) * DAY)
        if tt == "companies":
            self._anchor_company(tid, t)  # whether or not the association is removed later: same at every clock
        if draw(self.seed, "removed_association", key) < self.rates.removed_association:
            removed = t + int((10 + 140 * draw(self.seed, "removed_after", key)) * DAY)
            if removed <= self.clock:
                return None
        return (t, ft, fid, tt, self._named_duplicate(t, ft, tt, tid, key))

    # -- rendered objects ----------------------------------------------------------------------
    def lag(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Let `updatedAt` lag the last-modified property (never before `createdAt`)."""
        if not self.on or draw(self.seed, "modified_lag", obj["id"]) >= self.rates.modified_lag:
            return obj
        updated = parse_instant(obj["updatedAt"]) - 1 - int(89 * draw(self.seed, "lag_by", obj["id"]))
        if updated > parse_instant(obj["createdAt"]):
            obj["updatedAt"] = hs_datetime(updated)  # the property keeps the true instant
        return obj


def _delete(rec: Rec, at: int) -> int:
    """Delete `rec` at `at` (knob `purged`): archived, nothing changes on it after, purged 90 days later."""
    rec.versions = [v for v in rec.versions if v[0] <= at]
    rec.deleted_at = at
    rec.gone_at = at + RECYCLE_BIN_DAYS * DAY
    return at
