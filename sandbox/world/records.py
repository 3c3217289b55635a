"""Versioned records: a record is the list of its changes over time; the files are its snapshot at the clock."""

from __future__ import annotations

from typing import Any

from .clock import hs_datetime, iso_date, sf_datetime
from .schema import HS_DATETIME_PROPS, HS_HISTORY, HS_HISTORY_WHEN_SET, hs_created_prop, hs_modified_prop


class Rec:
    """One record of one object: created at versions[0][0]; later entries are field changes."""

    __slots__ = ("obj", "id", "versions", "deleted_at", "gone_at", "merged_history")

    def __init__(self, obj: str, rid: str, t: int, fields: dict[str, Any]) -> None:
        self.obj = obj
        self.id = rid
        self.versions: list[tuple[int, dict[str, Any]]] = [(t, fields)]
        self.deleted_at: int | None = None   # SF IsDeleted / HubSpot archived
        self.gone_at: int | None = None      # hard delete / merged away
        #: (merged_at, t, changes): property history a merge brought in from a merged-away record. HubSpot
        #: keeps "the history of property values from both records" on the survivor; its current values stay.
        self.merged_history: list[tuple[int, int, dict[str, Any]]] = []

    @property
    def created(self) -> int:
        return self.versions[0][0]

    def set(self, t: int, **changes: Any) -> Rec:
        self.versions.append((t, changes))
        return self

    def state(self, clock: int) -> tuple[dict[str, Any], int] | None:
        """Field values and last-modified time as of `clock`; None when the record does not exist then."""
        if self.created > clock or (self.gone_at is not None and self.gone_at <= clock):
            return None
        values: dict[str, Any] = {}
        modified = self.created
        for t, changes in sorted(self.versions, key=lambda v: v[0]):
            if t > clock:
                break
            values.update(changes)
            modified = t
        if self.is_deleted(clock):
            modified = max(modified, self.deleted_at)  # type: ignore[arg-type]
        return values, modified

    def history(self, clock: int) -> list[tuple[int, dict[str, Any]]]:
        """Its changes in time order, with the history a merge brought in by `clock` (HubSpot's view)."""
        merged_in = [(t, changes) for at, t, changes in self.merged_history if at <= clock]
        return sorted(self.versions + merged_in, key=lambda v: v[0])

    def is_deleted(self, clock: int) -> bool:
        return self.deleted_at is not None and self.deleted_at <= clock


def sf_record(rec: Rec, clock: int, fields: list[tuple[str, str]]) -> dict[str, Any] | None:
    st = rec.state(clock)
    if st is None:
        return None
    values, modified = st
    out: dict[str, Any] = {}
    for name, typ in fields:
        if name == "Id":
            v: Any = rec.id
        elif name == "IsDeleted":
            v = rec.is_deleted(clock)
        elif name == "CreatedDate":
            v = sf_datetime(rec.created)
        elif name in ("LastModifiedDate", "SystemModstamp"):
            v = sf_datetime(modified)
        else:
            v = values.get(name)
            if v is not None:
                if typ == "datetime":
                    v = sf_datetime(v)
                elif typ == "date":
                    v = iso_date(v)
        out[name] = v
    return out


def hs_text(prop: str, v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if prop in HS_DATETIME_PROPS and isinstance(v, int):
        return hs_datetime(v)
    if isinstance(v, float):
        return str(int(v)) if v == int(v) else f"{v:.2f}"
    return str(v)


_SOURCE_TYPE = {"lifecyclestage": "AUTOMATION_PLATFORM", "recent_conversion_event_name": "FORM",
                "hs_lead_status": "CRM_UI", "hubspot_owner_id": "CRM_UI", "dealstage": "CRM_UI",
                "amount": "CRM_UI", "closedate": "CRM_UI"}


def hs_object(rec: Rec, clock: int, object_type: str, allowed: set[str] | None = None) -> dict[str, Any] | None:
    st = rec.state(clock)
    if st is None:
        return None
    values, modified = st
    props: dict[str, str] = {}
    for k, v in values.items():
        if allowed is not None and k not in allowed:
            continue
        text = hs_text(k, v)
        if text is not None:
            props[k] = text
    created = hs_datetime(rec.created)
    updated = hs_datetime(modified)
    props[hs_created_prop(object_type)] = created
    props[hs_modified_prop(object_type)] = updated
    props["hs_object_id"] = rec.id
    out: dict[str, Any] = {"id": rec.id, "properties": dict(sorted(props.items()))}
    tracked = HS_HISTORY.get(object_type)
    if tracked:
        hist: dict[str, list[dict[str, str]]] = {}
        for t, changes in rec.history(clock):
            if t > clock:
                break
            for p in tracked:
                if p in changes and changes[p] is not None:
                    hist.setdefault(p, []).append({"value": hs_text(p, changes[p]) or "", "timestamp": hs_datetime(t),
                                                   "sourceType": _SOURCE_TYPE.get(p, "CRM_UI")})
        if hist or object_type not in HS_HISTORY_WHEN_SET:
            out["propertiesWithHistory"] = {p: list(reversed(h)) for p, h in sorted(hist.items())}
    out["createdAt"] = created
    out["updatedAt"] = updated
    out["archived"] = rec.is_deleted(clock)
    if out["archived"]:
        out["archivedAt"] = hs_datetime(rec.deleted_at)  # type: ignore[arg-type]
    return out
