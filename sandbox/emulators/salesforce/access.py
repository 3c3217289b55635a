"""What the org's integration user may see (`salesforce_org.json`, sandbox/world/sf_org.py).

A restricted user (no "View All Data", field-level security) gets no error: rows shared away from it
are simply not in any query, Bulk job or record read, and hidden fields are absent from describe (a
query naming one fails as INVALID_FIELD, as on a real org). `UserPermissionAccess` (one row: the
current user's effective permissions) says whether it has View All Data.
"""

from __future__ import annotations

from typing import Any

from sandbox.emulators.dataset import Dataset, SfObject

PERMISSION_FIELDS = [("Id", "id"), ("PermissionsApiEnabled", "boolean"), ("PermissionsViewAllData", "boolean"),
                     ("PermissionsModifyAllData", "boolean")]


def integration_view(data: Dataset) -> dict[str, SfObject]:
    org = data.sf_org
    hidden: dict[str, list[str]] = org.get("hidden_fields") or {}
    private = {k: set(v) for k, v in (org.get("private_rows") or {}).items()}
    out: dict[str, SfObject] = {}
    for name, obj in data.salesforce.items():
        if name in hidden or name in private:
            gone, rows = set(hidden.get(name, ())), private.get(name, set())
            records = [r for r in obj.records if r.get("Id") not in rows]
            obj = SfObject(name, [(n, t) for n, t in obj.fields if n not in gone], records,
                           {r["Id"]: r for r in records if r.get("Id")}, obj.calculated)
        out[name] = obj
    view_all = bool(org.get("view_all_data", True))
    me: dict[str, Any] = {"Id": "0H4Hp0000000001AAA", "PermissionsApiEnabled": True,
                          "PermissionsViewAllData": view_all, "PermissionsModifyAllData": view_all}
    out["UserPermissionAccess"] = SfObject("UserPermissionAccess", PERMISSION_FIELDS, [me], {me["Id"]: me})
    return out
