"""Load a dataset folder (generated or user-supplied) into memory for the emulators."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.world.clock import hs_datetime, parse_instant, sf_datetime
from sandbox.world.schema import ASSOC_TYPES, SF_FIELDS, SF_OBJECTS, hs_created_prop, hs_modified_prop
from sandbox.world.sf_org import CUSTOM_FIELDS, read_org

_BOOL_FIELDS = {name for fields in SF_FIELDS.values() for name, typ in fields if typ == "boolean"}
_NUM_TYPES = {"int", "double", "currency", "percent"}


@dataclass
class SfObject:
    name: str
    fields: list[tuple[str, str]]               # (name, type) incl. custom fields found in the data
    records: list[dict[str, Any]]               # sorted by Id
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    calculated: frozenset[str] = frozenset()     # formula fields (`calculated: true` in describe)


@dataclass
class Dataset:
    root: Path
    meta: dict[str, Any]
    clock: str
    salesforce: dict[str, SfObject]
    hubspot: dict[str, list[dict[str, Any]]]     # objectType -> objects sorted by numeric id
    hs_by_id: dict[str, dict[str, dict[str, Any]]]
    #: (fromType, toType) -> fromId -> [{toObjectId, associationTypes}]
    associations: dict[tuple[str, str], dict[str, list[dict[str, Any]]]]
    owners: list[dict[str, Any]]
    pipelines: dict[str, list[dict[str, Any]]]
    marketing_events: list[dict[str, Any]]
    participations: list[dict[str, Any]]
    merged_into: dict[str, str] = field(default_factory=dict)   # merged-away contact id -> survivor id
    #: (object type, merged-away id) -> survivor id, for deals and companies (`object_merges.jsonl`)
    object_merged_into: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the Salesforce org's API-side behaviours (`salesforce_org.json`, sandbox/world/sf_org.py)
    sf_org: dict[str, Any] = field(default_factory=dict)
    #: HubSpot custom object schemas (`hubspot/schemas.json`, served as GET /crm/v3/schemas)
    hs_schemas: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clock_epoch(self) -> int:
        return parse_instant(self.clock)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _csv_records(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            rec: dict[str, Any] = {}
            for k, v in row.items():
                if v == "":
                    rec[k] = None
                elif k in _BOOL_FIELDS or v in ("true", "false"):
                    rec[k] = v.lower() == "true"
                else:
                    rec[k] = v
            out.append(rec)
    return out


def _hs_csv(path: Path) -> list[dict[str, Any]]:
    """HubSpot objects from CSV: columns id, createdAt, updatedAt, archived, then one per property."""
    out = []
    envelope = ("id", "createdAt", "updatedAt", "archived", "archivedAt")
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            obj: dict[str, Any] = {"id": row["id"], "properties": {k: (v if v != "" else None) for k, v in row.items()
                                                                   if k not in envelope}}
            obj["properties"]["hs_object_id"] = row["id"]
            obj["createdAt"] = hs_datetime(parse_instant(row["createdAt"]))
            obj["updatedAt"] = hs_datetime(parse_instant(row.get("updatedAt") or row["createdAt"]))
            obj["archived"] = (row.get("archived") or "").lower() == "true"
            if row.get("archivedAt"):
                obj["archivedAt"] = hs_datetime(parse_instant(row["archivedAt"]))
            out.append(obj)
    return out


def _infer_type(name: str, values: list[Any]) -> str:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, (int, float)):
        return "double"
    if isinstance(sample, str) and len(sample) >= 19 and sample[10] == "T" and sample[4] == "-":
        return "datetime"
    if isinstance(sample, str) and len(sample) == 10 and sample[4] == "-" and sample[7] == "-":
        return "date"
    return "reference" if name.endswith("Id") else "string"


def load(root: Path | str) -> Dataset:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"sandbox dataset folder {root} does not exist (generate one with "
                                f"`python -m sandbox generate --out {root}`)")
    meta = json.loads((root / "world.json").read_text()) if (root / "world.json").exists() else {}
    sf: dict[str, SfObject] = {}
    org = read_org(root)
    names = set(SF_OBJECTS) | {p.stem for p in (root / "salesforce").glob("*.*")} if (root / "salesforce").exists() \
        else set(SF_OBJECTS)
    latest = ""
    for obj in sorted(names):
        jl, cs = root / "salesforce" / f"{obj}.jsonl", root / "salesforce" / f"{obj}.csv"
        records = _jsonl(jl) if jl.exists() else _csv_records(cs) if cs.exists() else []
        records.sort(key=lambda r: r.get("Id") or "")
        known = list(SF_FIELDS.get(obj) or CUSTOM_FIELDS.get(obj) or [("Id", "id")])
        present = {n for n, _ in known}
        extra: list[str] = []
        for r in records[:200]:
            for k in r:
                if k not in present and k != "attributes" and k not in extra:
                    extra.append(k)
        keys = set().union(*(r.keys() for r in records[:200])) if records else set()
        fields = [(n, t) for n, t in known if not records or n in keys]
        fields += [(n, _infer_type(n, [r.get(n) for r in records[:200]])) for n in extra]
        dt_fields = [n for n, t in fields if t == "datetime"]
        for r in records:
            r.pop("attributes", None)
            for n in dt_fields:  # user-supplied files may write 2024-01-05T10:00:00Z etc.
                v = r.get(n)
                if isinstance(v, str) and not (len(v) == 28 and v.endswith("+0000")):
                    r[n] = sf_datetime(parse_instant(v))
            stamp = r.get("SystemModstamp") or r.get("CreatedDate") or ""
            latest = max(latest, stamp)
        sf[obj] = SfObject(obj, fields, records, {r["Id"]: r for r in records if r.get("Id")},
                           frozenset(org.get("formula_fields", {}).get(obj, ())))
    hs: dict[str, list[dict[str, Any]]] = {}
    hs_dir = root / "hubspot"
    for path in sorted(hs_dir.glob("*.jsonl")) + sorted(hs_dir.glob("*.csv")) if hs_dir.exists() else []:
        if path.stem in ("associations", "owners", "marketing_events", "marketing_event_participations",
                         "contact_merges", "object_merges") or path.stem in hs:
            continue
        objs = _jsonl(path) if path.suffix == ".jsonl" else _hs_csv(path)
        objs.sort(key=lambda o: int(o["id"]) if str(o["id"]).isdigit() else 0)
        hs[path.stem] = objs
        created_prop, modified_prop = hs_created_prop(path.stem), hs_modified_prop(path.stem)
        for o in objs:
            latest = max(latest, o.get("updatedAt", ""))
            props = o.setdefault("properties", {})
            props.setdefault(created_prop, o.get("createdAt"))
            props.setdefault(modified_prop, o.get("updatedAt"))
            props.setdefault("hs_object_id", str(o["id"]))
            o.setdefault("archived", False)
    assoc: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for a in _jsonl(hs_dir / "associations.jsonl"):
        ft, tt, fid, tid = a["fromObjectType"], a["toObjectType"], str(a["fromObjectId"]), str(a["toObjectId"])
        types = a.get("associationTypes") or [{"category": "HUBSPOT_DEFINED", "typeId": ASSOC_TYPES.get((ft, tt)),
                                               "label": None}]
        assoc.setdefault((ft, tt), {}).setdefault(fid, []).append({"toObjectId": tid, "associationTypes": types})
        back = [{"category": "HUBSPOT_DEFINED", "typeId": ASSOC_TYPES.get((tt, ft)), "label": None}]
        assoc.setdefault((tt, ft), {}).setdefault(tid, []).append({"toObjectId": fid, "associationTypes": back})
    for by_from in assoc.values():
        for lst in by_from.values():
            lst.sort(key=lambda x: int(x["toObjectId"]) if x["toObjectId"].isdigit() else 0)
    pipelines_file = hs_dir / "pipelines.json"
    schemas = hs_dir / "schemas.json"
    pipelines = json.loads(pipelines_file.read_text()) if pipelines_file.exists() else {}
    clock = meta.get("clock")
    if not clock:
        clock = hs_datetime(parse_instant(latest)) if latest else hs_datetime(0)
    return Dataset(root, meta, clock, sf, hs, {t: {o["id"]: o for o in objs} for t, objs in hs.items()}, assoc,
                   _jsonl(hs_dir / "owners.jsonl"), pipelines, _jsonl(hs_dir / "marketing_events.jsonl"),
                   _jsonl(hs_dir / "marketing_event_participations.jsonl"),
                   {str(m["mergedId"]): str(m["primaryId"]) for m in _jsonl(hs_dir / "contact_merges.jsonl")},
                   {(m["objectType"], str(m["mergedId"])): str(m["primaryId"])
                    for m in _jsonl(hs_dir / "object_merges.jsonl")}, org,
                   json.loads(schemas.read_text())["results"] if schemas.exists() else [])
