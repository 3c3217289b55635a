"""The HubSpot CRM v3 emulator: objects list/read/batch read/search, properties, and (via meta.py)
pipelines, owners, associations v4 and marketing events. Auth, rate limits and faults as the real service."""

from __future__ import annotations

import bisect
import threading
import time
import uuid
from typing import Any

from sandbox.emulators.dataset import Dataset
from sandbox.emulators.faults import FaultConfig, FaultState
from sandbox.emulators.http import App, Request, Response, json_response
from sandbox.emulators.hubspot import meta
from sandbox.emulators.hubspot.errors import hs_error
from sandbox.emulators.hubspot.props import definitions, typed
from sandbox.world.schema import HS_DEFAULT_PROPS, HS_PROPERTIES, hs_created_prop, hs_modified_prop

SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "line_items": "line_item",
            "calls": "call", "emails": "email", "meetings": "meeting", "tickets": "ticket", "notes": "note",
            "tasks": "task"}
OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
             "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
SEARCH_CAP = 10_000


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() == "true"


def _multi(request: Request, name: str) -> list[str]:
    """Repeated and/or comma-separated query parameter values."""
    out: list[str] = []
    for v in request.query.get(name, []):
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


class HubSpotApp(App):
    def __init__(self, data: Dataset, token: str, faults: FaultConfig, base_url: str = "") -> None:
        self.token = token
        self.faults = FaultState(faults)
        self.base_url = base_url
        self.daily = 0
        self.lock = threading.Lock()
        self._corr = 0
        self.set_data(data)

    def set_data(self, data: Dataset) -> None:
        """Serve another snapshot (e.g. after `advance`)."""
        self.ids = {t: [int(o["id"]) if str(o["id"]).isdigit() else 0 for o in objs]
                    for t, objs in data.hubspot.items()}
        self.known = {t: set(HS_PROPERTIES.get(t, [])) | {k for o in objs[:200] for k in o["properties"]}
                      for t, objs in data.hubspot.items()}
        self._names_cache: dict[tuple[str, tuple[str, ...] | None], list[str]] = {}
        self.data = data
        # a custom object is addressed by its objectTypeId or its fullyQualifiedName
        self.aliases = {s["fullyQualifiedName"]: s["objectTypeId"] for s in data.hs_schemas}

    # ---- plumbing
    def now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

    def correlation_id(self) -> str:
        with self.lock:
            self._corr += 1
            return str(uuid.UUID(int=self._corr))

    def error(self, status: int, category: str, message: str, extra: dict[str, Any] | None = None) -> Response:
        return hs_error(status, category, message, self.correlation_id(), extra)

    def _limit_headers(self, remaining: int) -> dict[str, str]:
        cfg = self.faults.config
        limit = cfg.hubspot_rate_limit or 190
        return {"X-HubSpot-RateLimit-Daily": str(cfg.hubspot_daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, cfg.hubspot_daily_limit - self.daily)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Max": str(limit),
                "X-HubSpot-RateLimit-Remaining": str(min(limit, remaining)),
                "X-HubSpot-RateLimit-Secondly": str(max(1, limit // 10)),
                "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, min(limit, remaining) // 10))}

    def _too_many(self, headers: dict[str, str], policy: str = "TEN_SECONDLY_ROLLING") -> Response:
        message = {"TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
                   "SECONDLY": "You have reached your secondly limit.",
                   "DAILY": "You have reached your daily limit."}[policy]
        resp = self.error(429, "RATE_LIMITS", message,
                          {"errorType": "RATE_LIMIT", "policyName": policy, "groupName": "publicapi:sandbox"})
        resp.headers.update(headers)
        if self.faults.config.retry_after is not None:
            # whole seconds, as HTTP requires (urllib3's Retry rejects "0.05" with InvalidHeader)
            resp.headers["Retry-After"] = str(int(self.faults.config.retry_after))
        return resp

    def before(self, request: Request) -> tuple[Response | None, bool]:
        auth = request.headers.get("Authorization") or ""
        if not auth.lower().startswith("bearer ") or auth[7:].strip() != self.token:
            return self.error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports "
                              "OAuth 2.0 authentication and you can find more details at "
                              "https://developers.hubspot.com/docs/methods/auth/oauth-overview"), False
        with self.lock:
            self.daily += 1
        allowed, remaining = self.faults.hubspot_window()
        search = request.path.endswith("/search")
        headers = {} if search else self._limit_headers(remaining)
        headers["X-HubSpot-Correlation-Id"] = self.correlation_id()
        request.extra_headers = headers  # type: ignore[attr-defined]
        status, drop = self.faults.draw()
        self.faults.sleep()
        if self.daily > self.faults.config.hubspot_daily_limit:
            return self._too_many(headers, "DAILY"), False
        if not allowed:
            return self._too_many(headers), False
        if search and not self.faults.hubspot_search_allowed():
            return self._too_many(headers, "SECONDLY"), False
        if status == 429:
            return self._too_many(headers), False
        if status is not None:
            resp = self.error(status, "INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE",
                              "internal error" if status == 500 else "Service Unavailable")
            resp.headers.update(headers)
            return resp, False
        return None, drop

    def handle(self, request: Request) -> Response:
        resp = self.route(request)
        resp.headers.update(getattr(request, "extra_headers", {}))
        return resp

    def route(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        m = request.method
        if parts[:3] == ["crm", "v3", "schemas"] and m == "GET":
            return json_response(200, {"results": self.data.hs_schemas})
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4:
            otype = self.aliases.get(parts[3], parts[3])
            if otype not in self.data.hubspot:
                return self.error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {otype}")
            rest = parts[4:]
            if not rest and m == "GET":
                return self.list_objects(request, otype)
            if rest == ["search"] and m == "POST":
                return self.search(request, otype)
            if rest == ["batch", "read"] and m == "POST":
                return self.batch_read(request, otype)
            if len(rest) == 1 and m == "GET":
                return self.get_object(request, otype, rest[0])
        elif parts[:3] == ["crm", "v3", "properties"] and len(parts) >= 4:
            otype = self.aliases.get(parts[3], parts[3])
            if otype not in self.data.hubspot:
                return self.error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {otype}")
            props = definitions(otype, self.data.clock_epoch, self.known[otype] - set(HS_PROPERTIES.get(otype, [])))
            if len(parts) == 5:
                found = next((p for p in props if p["name"] == parts[4]), None)
                return json_response(200, found) if found else self.error(
                    404, "OBJECT_NOT_FOUND", f"Unable to find property {parts[4]}")
            return json_response(200, {"results": [] if _truthy(request.param("archived")) else props})
        elif parts[:3] == ["crm", "v3", "pipelines"]:
            return meta.pipelines(self, parts[3:])
        elif parts[:3] == ["crm", "v3", "owners"]:
            return meta.owner(self, parts[3]) if len(parts) > 3 else meta.owners(self, request)
        elif parts[:3] == ["crm", "v4", "objects"] and len(parts) == 7 and parts[5] == "associations":
            return meta.associations_v4(self, request, parts[3], parts[4], parts[6])
        elif parts[:3] == ["crm", "v4", "associations"] and parts[-2:] == ["batch", "read"] and len(parts) == 7:
            return meta.associations_batch(self, request, parts[3], parts[4])
        elif parts[:3] == ["marketing", "v3", "marketing-events"] and self.faults.config.hubspot_legacy_events:
            return meta.marketing_events(self, request, parts[3:], "/marketing/v3/marketing-events/")
        elif parts[:3] == ["marketing", "marketing-events", "v3"] and self.faults.config.hubspot_new_events:
            return meta.marketing_events(self, request, parts[3:], "/marketing/marketing-events/v3")
        return self.error(404, "OBJECT_NOT_FOUND", f"resource not found: {request.method} {request.path}")

    # ---- object rendering
    def _names(self, otype: str, props: list[str] | None) -> list[str]:
        key = (otype, tuple(props) if props is not None else None)
        names = self._names_cache.get(key)
        if names is None:
            if props is None:
                names = list(HS_DEFAULT_PROPS.get(otype, ("hs_object_id",)))
            else:
                names = [p for p in props if p in self.known[otype]]
                for always in (hs_created_prop(otype), "hs_object_id", hs_modified_prop(otype)):
                    if always not in names:
                        names.append(always)
            if len(self._names_cache) < 1000:
                self._names_cache[key] = names
        return names

    def render(self, obj: dict[str, Any], otype: str, props: list[str] | None, history: list[str],
               assoc: list[str]) -> dict[str, Any]:
        stored = obj["properties"]
        names = self._names(otype, props)
        out: dict[str, Any] = {"id": obj["id"], "properties": {n: stored.get(n) for n in names}}
        if history:
            stored_h = obj.get("propertiesWithHistory") or {}
            hist = {}
            for p in history:
                if p in stored_h:
                    hist[p] = stored_h[p]
                elif stored.get(p) is not None:
                    hist[p] = [{"value": stored[p], "timestamp": obj["updatedAt"], "sourceType": "CRM_UI"}]
                elif p in self.known[otype]:
                    hist[p] = []
            out["propertiesWithHistory"] = hist
        out["createdAt"], out["updatedAt"], out["archived"] = obj["createdAt"], obj["updatedAt"], obj["archived"]
        if obj.get("archivedAt"):
            out["archivedAt"] = obj["archivedAt"]
        if assoc:
            assocs = {}
            for to in assoc:
                rows = meta._assoc_list(self, otype, obj["id"], to)
                if rows:
                    kind = f"{SINGULAR.get(otype, otype)}_to_{SINGULAR.get(to, to)}"
                    assocs[to] = {"results": [{"id": str(r["toObjectId"]), "type": kind} for r in rows]}
            if assocs:
                out["associations"] = assocs
        return out

    def list_objects(self, request: Request, otype: str) -> Response:
        history = _multi(request, "propertiesWithHistory")
        try:
            limit = int(request.param("limit") or 10)
            after = request.param("after")
            start = 0 if not after else bisect.bisect_right(self.ids[otype], int(after))
        except ValueError:
            return self.error(400, "VALIDATION_ERROR", "limit and after must be integers")
        max_limit = 50 if history else 100
        if limit < 1 or limit > max_limit:
            return self.error(400, "VALIDATION_ERROR", f"limit must be between 1 and {max_limit}"
                              + (" when propertiesWithHistory is requested" if history else ""))
        archived = _truthy(request.param("archived"))
        props = _multi(request, "properties") or None
        assoc = _multi(request, "associations")
        objs = self.data.hubspot[otype]
        results = []
        i = start
        while i < len(objs) and len(results) < limit:
            if bool(objs[i].get("archived")) == archived:
                results.append(self.render(objs[i], otype, props, history, assoc))
            i += 1
        while i < len(objs) and bool(objs[i].get("archived")) != archived:
            i += 1
        page: dict[str, Any] = {"results": results}
        if i < len(objs) and results:
            nxt = results[-1]["id"]
            page["paging"] = {"next": {"after": nxt, "link": f"{self.base_url}/crm/v3/objects/{otype}?after={nxt}"}}
        return json_response(200, page)

    def get_object(self, request: Request, otype: str, oid: str) -> Response:
        obj = self.data.hs_by_id[otype].get(oid)
        if obj is None and otype == "contacts" and oid in self.data.merged_into:
            obj = self.data.hs_by_id[otype].get(self.data.merged_into[oid])  # like HubSpot: the survivor
        if obj is None and (otype, oid) in self.data.object_merged_into:
            obj = self.data.hs_by_id[otype].get(self.data.object_merged_into[(otype, oid)])
        if obj is None or bool(obj.get("archived")) != _truthy(request.param("archived")):
            return self.error(404, "OBJECT_NOT_FOUND", "resource not found")
        props = _multi(request, "properties") or None
        return json_response(200, self.render(obj, otype, props, _multi(request, "propertiesWithHistory"),
                                              _multi(request, "associations")))

    def batch_read(self, request: Request, otype: str) -> Response:
        started = self.now()
        body = request.json() or {}
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return self.error(400, "VALIDATION_ERROR", "at most 100 inputs per batch read")
        archived = _truthy(request.param("archived"))
        results, missing = [], []
        for inp in inputs:
            obj = self.data.hs_by_id[otype].get(str(inp.get("id")))
            if obj is None or bool(obj.get("archived")) != archived:
                missing.append(str(inp.get("id")))
                continue
            results.append(self.render(obj, otype, body.get("properties") or None,
                                       body.get("propertiesWithHistory") or [], []))
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                               "completedAt": self.now()}
        if missing:
            out.update(numErrors=1, errors=[{"status": "error", "category": "OBJECT_NOT_FOUND",
                                             "message": "Could not get some objects, they may be deleted or not "
                                                        "exist.", "context": {"ids": missing}}])
            return json_response(207, out)
        return json_response(200, out)

    # ---- search
    def _value(self, obj: dict[str, Any], otype: str, name: str) -> Any:
        if name in ("lastmodifieddate", "hs_lastmodifieddate"):
            name = hs_modified_prop(otype)
        elif name in ("createdate", "hs_createdate"):
            name = hs_created_prop(otype)
        return typed(name, obj["properties"].get(name) if name != "hs_object_id" else obj["id"])

    def search(self, request: Request, otype: str) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return self.error(400, "VALIDATION_ERROR", "Invalid input JSON")
        groups = body.get("filterGroups") or []
        n_filters = sum(len(g.get("filters") or []) for g in groups)
        if len(groups) > 5 or n_filters > 25 or any(len(g.get("filters") or []) > 10 for g in groups):
            return self.error(400, "VALIDATION_ERROR", "Too many filters: at most 5 filterGroups, 10 filters per "
                                                       "group and 25 filters in total")
        try:
            limit = int(body.get("limit") or 10)
            after = int(body.get("after") or 0)
        except (TypeError, ValueError):
            return self.error(400, "VALIDATION_ERROR", "limit and after must be integers")
        if limit < 1 or limit > 200:
            return self.error(400, "VALIDATION_ERROR", "limit must be between 1 and 200")
        if after + limit > SEARCH_CAP and after >= SEARCH_CAP:
            return self.error(400, "VALIDATION_ERROR", f"The search API cannot page beyond {SEARCH_CAP} results "
                              f"(after={after}); narrow the filters, e.g. on lastmodifieddate",
                              {"errors": [{"message": "paging beyond 10000 results is not supported", "in": "after"}]})
        if self.faults.config.hubspot_stuck_search:
            # A broken portal: filters on the last-modified property are ignored, so a page that
            # should start at the caller's timestamp starts at the beginning every time.
            modified = {"lastmodifieddate", "hs_lastmodifieddate", hs_modified_prop(otype)}
            groups = [{**g, "filters": [f for f in g.get("filters") or [] if f.get("propertyName") not in modified]}
                      for g in groups]
        preds = []
        for g in groups:
            try:
                preds.append([self._filter(otype, f) for f in g.get("filters") or []])
            except ValueError as e:
                return self.error(400, "VALIDATION_ERROR", str(e))
        query = (body.get("query") or "").strip().lower()
        hits = [o for o in self.data.hubspot[otype] if not o.get("archived")
                and (not preds or any(all(p(o) for p in g) for g in preds))
                and (not query or any(query in (v or "").lower() for v in o["properties"].values()))]
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            return self.error(400, "VALIDATION_ERROR", "only one sort is supported")
        if sorts:
            s = sorts[0]
            name, desc = (s.get("propertyName"), (s.get("direction") or "ASCENDING").upper() == "DESCENDING") \
                if isinstance(s, dict) else (s.lstrip("-"), s.startswith("-"))
            present = [o for o in hits if self._value(o, otype, name) is not None]
            absent = [o for o in hits if self._value(o, otype, name) is None]
            present.sort(key=lambda o: (self._value(o, otype, name), int(o["id"])), reverse=desc)
            hits = present + absent
        props = body.get("properties") or None
        page = hits[after: after + limit]
        out: dict[str, Any] = {"total": len(hits), "results": [self.render(o, otype, props, [], []) for o in page]}
        if after + limit < len(hits):
            out["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return json_response(200, out)

    def _filter(self, otype: str, f: dict[str, Any]) -> Any:
        name, op = f.get("propertyName"), (f.get("operator") or "EQ").upper()
        if not name or op not in OPERATORS:
            raise ValueError(f"invalid filter {f!r}: propertyName and a valid operator are required")
        canon = hs_modified_prop(otype) if name in ("lastmodifieddate", "hs_lastmodifieddate") else name
        if op == "HAS_PROPERTY":
            return lambda o: self._value(o, otype, name) is not None
        if op == "NOT_HAS_PROPERTY":
            return lambda o: self._value(o, otype, name) is None
        if op in ("IN", "NOT_IN"):
            vals = {typed(canon, v) for v in f.get("values") or []}
            return (lambda o: self._value(o, otype, name) in vals) if op == "IN" else \
                (lambda o: self._value(o, otype, name) not in vals)
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            token = str(f.get("value") or "").lower().strip("*")
            want = op == "CONTAINS_TOKEN"
            return lambda o: (token in (self._value(o, otype, name) or "")) == want
        v = typed(canon, f.get("value"))
        if v is None and op != "NEQ":
            raise ValueError(f"filter on {name} needs a value (datetimes as epoch milliseconds or ISO-8601)")
        if op == "BETWEEN":
            hi = typed(canon, f.get("highValue"))
            return lambda o: (x := self._value(o, otype, name)) is not None and v <= x <= hi
        cmp = {"EQ": lambda x: x == v, "NEQ": lambda x: x != v, "LT": lambda x: x < v, "LTE": lambda x: x <= v,
               "GT": lambda x: x > v, "GTE": lambda x: x >= v}[op]
        return lambda o: (x := self._value(o, otype, name)) is not None and cmp(x) if op != "NEQ" else cmp(x)
