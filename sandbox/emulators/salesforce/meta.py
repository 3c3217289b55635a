"""Salesforce describe / describeGlobal / versions / limits payloads."""

from __future__ import annotations

from typing import Any

from sandbox.emulators.dataset import SfObject
from sandbox.world.ids import SF_PREFIX
from sandbox.world.schema import LABELS

_SOAP = {"id": "tns:ID", "boolean": "xsd:boolean", "datetime": "xsd:dateTime", "date": "xsd:date",
         "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
         "anyType": "xsd:anyType", "reference": "tns:ID"}
PICKLISTS: dict[tuple[str, str], tuple[str, ...]] = {}


def _label(name: str) -> str:
    base = name[:-3] if name.endswith("__c") else name
    base = base[:-2] + " ID" if base.endswith("Id") and base != "Id" else base
    out = ""
    for i, ch in enumerate(base):
        if ch.isupper() and i and not base[i - 1].isupper() and base[i - 1] != "_":
            out += " "
        out += ch
    return out.replace("_", " ").strip()


def field_describe(obj: str, name: str, typ: str, calculated: bool = False) -> dict[str, Any]:
    refs: list[str] = []
    if typ.startswith("reference"):
        refs = typ.split(":", 1)[1].split(",") if ":" in typ else []
        typ = "reference"
    numeric = typ in ("int", "double", "currency", "percent")
    length = 0 if numeric or typ in ("boolean", "date", "datetime") else (18 if typ in ("id", "reference") else 255)
    return {
        "aggregatable": typ not in ("textarea", "anyType"), "autoNumber": False, "byteLength": length * 3,
        "calculated": calculated, "caseSensitive": False, "createable": name not in ("Id", "IsDeleted", "CreatedDate",
                                                                                 "LastModifiedDate", "SystemModstamp"),
        "custom": name.endswith("__c"), "defaultValue": None, "defaultedOnCreate": name in ("Id", "IsDeleted"),
        "digits": 9 if typ == "int" else 0, "externalId": False, "filterable": typ != "textarea",
        "groupable": typ not in ("double", "currency", "percent", "textarea", "datetime"),
        "idLookup": name == "Id", "label": _label(name), "length": length, "name": name,
        "nameField": name == "Name", "nillable": name not in ("Id", "IsDeleted", "CreatedDate", "SystemModstamp"),
        "picklistValues": [], "precision": 18 if typ in ("double", "currency", "percent") else 0,
        "referenceTo": refs, "relationshipName": (name[:-2] if name.endswith("Id") and name != "Id" else None)
        if refs else None, "scale": 2 if typ in ("double", "currency", "percent") else 0,
        "soapType": _SOAP.get(typ, "xsd:string"), "sortable": typ not in ("textarea", "anyType"), "type": typ,
        "unique": False, "updateable": name not in ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate",
                                                    "SystemModstamp"),
    }


def _object_flags(o: SfObject) -> dict[str, Any]:
    history = o.name.endswith("History")
    return {"activateable": False, "createable": not history, "custom": o.name.endswith("__c"),
            "customSetting": False, "deletable": not history, "deprecatedAndHidden": False, "feedEnabled": False,
            "keyPrefix": SF_PREFIX.get(o.name), "label": LABELS.get(o.name, _label(o.name)),
            "labelPlural": LABELS.get(o.name, _label(o.name)) + "s", "layoutable": not history, "mergeable":
            o.name in ("Lead", "Contact", "Account"), "mruEnabled": True, "name": o.name, "queryable": True,
            "replicateable": True, "retrieveable": True, "searchable": not history, "triggerable": not history,
            "undeletable": not history, "updateable": not history}


def _urls(o: SfObject, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{o.name}"
    return {"rowTemplate": base + "/{ID}", "defaultValues": base + "/defaultValues?recordTypeId&fields",
            "describe": base + "/describe", "sobject": base}


def describe_global(objects: dict[str, SfObject], version: str) -> dict[str, Any]:
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [{**_object_flags(o), "urls": _urls(o, version)} for o in objects.values()]}


def describe(o: SfObject, version: str) -> dict[str, Any]:
    return {**_object_flags(o), "childRelationships": [], "fields": [field_describe(o.name, n, t, n in o.calculated)
                                                                         for n, t in o.fields],
            "recordTypeInfos": [], "supportedScopes": [{"label": "All", "name": "everything"}],
            "urls": _urls(o, version)}


def metadata(o: SfObject, version: str) -> dict[str, Any]:
    return {"objectDescribe": {**_object_flags(o), "urls": _urls(o, version)}, "recentItems": []}


def versions() -> list[dict[str, str]]:
    return [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v}
            for v in ("55.0", "56.0", "57.0", "58.0", "59.0", "60.0", "61.0", "62.0")]


def limits(calls: int, max_calls: int, bulk_jobs: int) -> dict[str, Any]:
    return {"DailyApiRequests": {"Max": max_calls, "Remaining": max(0, max_calls - calls)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000 - bulk_jobs},
            "DailyBulkV2QueryFileStorageMB": {"Max": 1048576, "Remaining": 1048576},
            "DataStorageMB": {"Max": 1024, "Remaining": 1000}, "FileStorageMB": {"Max": 1024, "Remaining": 1024},
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000}}
