"""Load a sandbox dataset folder (docs/sandbox.md layout) straight into the raw tables, without the
emulators and extractors: what the benchmarks use to fill a 100k-person raw layer in seconds. The
tables are the extractors' own (tests/support/raw.py) but the rows are the dataset's lines as written,
not what the APIs answer and the extractors store: e.g. every association line is kept (the extractor
reads each pair in one direction) and stamped with its createdAt (the extractor: the from-object's
updatedAt). Tests use `WorldCache.extracted` instead."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from funnelhouse.core.raw import table_name
from tests.support.raw import create_raw_tables, load
from tests.support.worlds import world_clock

__all__ = ["load_dataset", "world_clock"]


def _rows_sf(path: Path):
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        updated = rec.get("SystemModstamp") or rec.get("LastModifiedDate") or rec.get("CreatedDate")
        yield {"id": rec["Id"], "source_updated_at": updated, "record": rec, "is_deleted": bool(rec.get("IsDeleted"))}


def _rows_hs(path: Path, table: str):
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if table == "associations":
            rid = f"{rec['fromObjectType']}:{rec['fromObjectId']}:{rec['toObjectType']}:{rec['toObjectId']}"
            yield {"id": rid, "source_updated_at": rec.get("createdAt") or "2000-01-01T00:00:00Z", "record": rec}
        elif table == "contact_merges":
            yield {"id": rec["mergedId"], "source_updated_at": rec["mergedAt"], "record": rec}
        elif table == "object_merges":
            yield {"id": f"{rec['objectType']}:{rec['mergedId']}", "source_updated_at": rec["mergedAt"], "record": rec}
        elif table == "marketing_events":
            yield {"id": rec["objectId"], "source_updated_at": rec.get("updatedAt") or rec["createdAt"], "record": rec}
        elif table == "marketing_event_participations":
            # keyed as the extractor keys it: (event, contact, attendance state, occurredAt)
            props = rec.get("properties") or {}
            key = f"{rec['marketingEventId']}:{rec['contactId']}:{props.get('attendanceState') or ''}:" \
                  f"{props.get('occurredAt') or ''}"
            yield {"id": key, "source_updated_at": rec["createdAt"], "record": rec}
        else:
            yield {"id": rec["id"], "source_updated_at": rec.get("updatedAt") or rec.get("createdAt"), "record": rec,
                   "is_deleted": bool(rec.get("archived"))}


def load_dataset(dsn: str, dataset: Path | str, batch_id: str = "dataset",
                 extracted_at: datetime | None = None) -> dict[str, int]:
    dataset = Path(dataset)
    create_raw_tables(dsn)
    counts = {}
    for path in sorted((dataset / "salesforce").glob("*.jsonl")):
        table = table_name(path.stem)
        counts[f"salesforce.{table}"] = load(dsn, "raw_salesforce", table, _rows_sf(path), batch_id, extracted_at)
    for path in sorted((dataset / "hubspot").glob("*.jsonl")):
        table = path.stem
        counts[f"hubspot.{table}"] = load(dsn, "raw_hubspot", table, _rows_hs(path, table), batch_id, extracted_at)
    pipelines = json.loads((dataset / "hubspot" / "pipelines.json").read_text())
    rows = [{"id": p["id"], "source_updated_at": p.get("updatedAt") or "2000-01-01T00:00:00Z", "record": p}
            for p in pipelines.get("deals", [])]
    counts["hubspot.deal_pipelines"] = load(dsn, "raw_hubspot", "deal_pipelines", rows, batch_id, extracted_at)
    return counts
