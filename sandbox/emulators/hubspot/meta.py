"""HubSpot pipelines, owners, associations v4 and marketing events endpoints."""

from __future__ import annotations

from typing import Any, Protocol

from sandbox.emulators.dataset import Dataset
from sandbox.emulators.http import Request, Response, json_response


class HubSpotApp(Protocol):
    """What these endpoints need of the HubSpot emulator serving them (`app.HubSpotApp`)."""

    data: Dataset
    base_url: str

    def now(self) -> str: ...

    def error(self, status: int, category: str, message: str, extra: dict[str, Any] | None = None) -> Response: ...


def pipelines(app: HubSpotApp, parts: list[str]) -> Response:
    object_type = parts[0] if parts else ""
    items = app.data.pipelines.get(object_type)
    if items is None:
        items = [] if object_type in ("tickets",) else None
    if items is None:
        return app.error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}")
    if len(parts) == 1:
        return json_response(200, {"results": items})
    pipe = next((p for p in items if p["id"] == parts[1]), None)
    if pipe is None:
        return app.error(404, "OBJECT_NOT_FOUND", f"Pipeline {parts[1]} not found for {object_type}")
    if len(parts) == 2:
        return json_response(200, pipe)
    if parts[2] == "stages":
        if len(parts) == 3:
            return json_response(200, {"results": pipe["stages"]})
        stage = next((s for s in pipe["stages"] if s["id"] == parts[3]), None)
        if stage is None:
            return app.error(404, "OBJECT_NOT_FOUND", f"Stage {parts[3]} not found")
        return json_response(200, stage)
    return app.error(404, "OBJECT_NOT_FOUND", "resource not found")


def _cursor_page(app: HubSpotApp, request: Request, items: list[dict[str, Any]], max_limit: int, default: int,
                 link: str) -> tuple[dict[str, Any], Response | None]:
    try:
        limit = int(request.param("limit") or default)
        after = int(request.param("after") or 0)
    except ValueError:
        return {}, app.error(400, "VALIDATION_ERROR", "limit and after must be integers")
    if limit < 1 or limit > max_limit:
        return {}, app.error(400, "VALIDATION_ERROR", f"limit must be between 1 and {max_limit}")
    page: dict[str, Any] = {"results": items[after: after + limit]}
    if after + limit < len(items):
        nxt = str(after + limit)
        page["paging"] = {"next": {"after": nxt, "link": f"{app.base_url}{link}?after={nxt}"}}
    return page, None


def owners(app: HubSpotApp, request: Request) -> Response:
    archived = (request.param("archived") or "false").lower() == "true"
    email = (request.param("email") or "").strip().lower()
    items = [o for o in app.data.owners if bool(o.get("archived")) == archived
             and (not email or o.get("email", "").lower() == email)]
    page, err = _cursor_page(app, request, items, 500, 100, "/crm/v3/owners/")
    return err or json_response(200, page)


def owner(app: HubSpotApp, owner_id: str) -> Response:
    found = next((o for o in app.data.owners if o["id"] == owner_id), None)
    return json_response(200, found) if found else app.error(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} not found")


def _assoc_list(app: HubSpotApp, from_type: str, object_id: str, to_type: str) -> list[dict[str, Any]]:
    rows = app.data.associations.get((from_type, to_type), {}).get(object_id, [])
    live = app.data.hs_by_id.get(to_type)
    out = []
    for r in rows:
        target = live.get(r["toObjectId"]) if live is not None else None
        if live is not None and (target is None or target.get("archived")):
            continue
        out.append({"toObjectId": int(r["toObjectId"]), "associationTypes": r["associationTypes"]})
    return out


def associations_v4(app: HubSpotApp, request: Request, from_type: str, object_id: str, to_type: str) -> Response:
    if from_type not in app.data.hubspot or to_type not in app.data.hubspot:
        bad = from_type if from_type not in app.data.hubspot else to_type
        return app.error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {bad}")
    items = _assoc_list(app, from_type, object_id, to_type)
    page, err = _cursor_page(app, request, items, 500, 500,
                             f"/crm/v4/objects/{from_type}/{object_id}/associations/{to_type}")
    return err or json_response(200, page)


def associations_batch(app: HubSpotApp, request: Request, from_type: str, to_type: str) -> Response:
    started = app.now()
    body = request.json() or {}
    inputs = body.get("inputs") or []
    if len(inputs) > 1000:
        return app.error(400, "VALIDATION_ERROR", "at most 1000 inputs per batch")
    results, errors = [], []
    for inp in inputs:
        oid = str(inp.get("id"))
        items = _assoc_list(app, from_type, oid, to_type)
        after = int(inp.get("after") or 0)
        if not items:
            errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                           "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                           "message": f"No {to_type} is associated with {from_type} {oid}.",
                           "context": {"fromObjectId": [oid]}, "links": {}, "errors": []})
            continue
        res: dict[str, Any] = {"from": {"id": oid}, "to": items[after: after + 500]}
        if after + 500 < len(items):
            res["paging"] = {"next": {"after": str(after + 500), "link": None}}
        results.append(res)
    out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": app.now()}
    if errors:
        out.update(numErrors=len(errors), errors=errors)
        return json_response(207, out)
    return json_response(200, out)


def marketing_events(app: HubSpotApp, request: Request, parts: list[str], prefix: str) -> Response:
    """The events API under the legacy prefix `/marketing/v3/marketing-events/` or the one the spec moved
    it to, `/marketing/marketing-events/v3` (same shapes)."""
    if not parts:
        page, err = _cursor_page(app, request, app.data.marketing_events, 100, 10, prefix)
        return err or json_response(200, page)
    if parts[0] == "participations" and len(parts) >= 3 and parts[-1] == "breakdown":
        by_event = {e["objectId"]: e for e in app.data.marketing_events}
        if parts[1] == "contacts":
            ident = parts[2]
            contacts = app.data.hs_by_id.get("contacts", {})
            if "@" in ident:
                ident = next((cid for cid, c in contacts.items()
                              if (c["properties"].get("email") or "").strip().lower() == ident.lower()), "")
            rows = [p for p in app.data.participations if p["contactId"] == ident]
        else:
            event_id = parts[1] if len(parts) == 3 else next(
                (e["objectId"] for e in app.data.marketing_events if e["externalEventId"] == parts[2]), "")
            rows = [p for p in app.data.participations if p["marketingEventId"] == event_id]
        state = request.param("state")
        if state:
            rows = [p for p in rows if p["properties"].get("attendanceState") == state.upper()]
        contacts = app.data.hs_by_id.get("contacts", {})
        items = []
        for p in rows:
            c = contacts.get(p["contactId"])
            if c is None and p["contactId"] in app.data.merged_into:
                # stored before its contact was merged away: it keeps naming that id; the contact's
                # details read as the survivor's, as reading the merged-away contact by id answers
                c = contacts.get(app.data.merged_into[p["contactId"]])
            if c is None or c.get("archived"):
                continue
            ev = by_event.get(p["marketingEventId"], {})
            event = {"marketingEventId": p["marketingEventId"], "externalEventId": ev.get("externalEventId"),
                     "externalAccountId": ev.get("externalAccountId"), "name": ev.get("eventName")}
            items.append({"id": p["id"], "createdAt": p["createdAt"], "properties": p["properties"], "associations": {
                "marketingEvent": event,
                "contact": {"contactId": p["contactId"], "email": c["properties"].get("email"),
                            "firstname": c["properties"].get("firstname"),
                            "lastname": c["properties"].get("lastname")}}})
        page, err = _cursor_page(app, request, items, 100, 10, request.path)
        if err:
            return err
        page["total"] = len(items)
        return json_response(200, page)
    ev = next((e for e in app.data.marketing_events if parts[0] in (e["objectId"], e["externalEventId"])), None)
    return json_response(200, ev) if ev else app.error(404, "OBJECT_NOT_FOUND", "marketing event not found")
