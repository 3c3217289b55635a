"""Entry points the CLI and the Airflow DAG call.

`extract` runs every object of the chosen sources (the two sources in parallel, objects one after
the other); `extract_object` runs one (the DAG maps one task per source and object). A failing
object does not stop the others in `extract`; the summary says which failed and why.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from extractors.engine.base import ExtractOptions, ObjectExtractor, RunContext, SourceDef
from extractors.engine.engine import ObjectSummary, run_object
from extractors.engine.errors import ExtractError, scrub
from extractors.engine.retry import Counters
from funnelhouse.core.raw import objects
from funnelhouse.core.settings import Settings
from funnelhouse.core.warehouse import ensure_running

# The sources' registries (`SOURCE_DEF` in extractors/<source>/__init__.py), imported on first use:
# the CRM client libraries take seconds to import, which every CLI command would otherwise pay.
SOURCE_PACKAGES = {"salesforce": "extractors.salesforce", "hubspot": "extractors.hubspot"}
SOURCES = {name: objects(name) for name in SOURCE_PACKAGES}


def source_def(source: str) -> SourceDef:
    objects(source)  # an unknown source fails here, naming the known ones
    return importlib.import_module(SOURCE_PACKAGES[source]).SOURCE_DEF


@dataclass
class ExtractSummary:
    run_id: str
    objects: list[ObjectSummary] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.outcome in ("success", "stopped_quota") for o in self.objects)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "seconds": self.seconds, "ok": self.ok,
                "objects": [{**asdict(o), "watermark": o.watermark.isoformat() if o.watermark else None}
                            for o in self.objects]}


def list_objects(source: str) -> tuple[str, ...]:
    return objects(source)


class _Clients:
    """Per-source connection shared by the objects of one run (one login, one describe cache)."""

    def __init__(self, settings: Settings, source: str):
        self.counters = Counters()
        self.source = source_def(source)
        self.connection = self.source.connect(settings, self.counters)

    def extractor(self, object_name: str) -> ObjectExtractor:
        return self.source.extractor(self.connection, object_name)


def _check_objects(source: str, objects: Iterable[str] | None) -> list[str]:
    known = list_objects(source)
    if objects is None:
        return list(known)
    lookup = {o.lower(): o for o in known}
    out = []
    for name in objects:
        if name.lower() not in lookup:
            raise ValueError(f"{source} has no object {name!r}; known: {', '.join(known)}")
        out.append(lookup[name.lower()])
    return out


def _printer(enabled: bool) -> Callable[[str], None] | None:
    if not enabled:
        return None
    lock = threading.Lock()

    def emit(line: str) -> None:
        with lock:
            print(f"  {line}", file=sys.stderr, flush=True)

    return emit


def _run_one(clients: _Clients, dsn: str, object_name: str, run_id: str, full_refresh: bool,
             options: ExtractOptions, progress: Callable[[str], None] | None,
             after_commit: Callable[[str, int], None] | None = None) -> ObjectSummary:
    ctx = RunContext(options, clients.counters, full_refresh, after_commit, progress)
    return run_object(dsn, clients.extractor(object_name), ctx, run_id)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def extract_object(settings: Settings, dsn: str, source: str, object_name: str, full_refresh: bool = False,
                   progress: bool = False, run_id: str | None = None, options: ExtractOptions | None = None,
                   after_commit: Callable[[str, int], None] | None = None) -> ObjectSummary:
    """Extract one object; raises ExtractError when it fails (a quota stop is not a failure)."""
    (name,) = _check_objects(source, [object_name])
    clients = _Clients(settings, source)
    return _run_one(clients, dsn, name, run_id or os.environ.get("AIRFLOW_CTX_DAG_RUN_ID") or new_run_id(),
                    full_refresh, options or ExtractOptions.from_env(), _printer(progress), after_commit)


def extract(settings: Settings, dsn: str | None = None, sources: Iterable[str] | None = None,
            objects: Iterable[str] | None = None, full_refresh: bool = False, progress: bool = True,
            options: ExtractOptions | None = None, run_id: str | None = None) -> ExtractSummary:
    """Extract the given sources (default: every configured one) into the raw layer."""
    if dsn is not None and not isinstance(dsn, str):
        raise TypeError("extract(settings, dsn, sources=...): pass sources by keyword (dsn is the warehouse DSN)")
    if dsn is None:
        dsn = ensure_running(settings)
    if sources is None:
        sources = [s for s in SOURCES if getattr(settings, s).configured]
    sources = list(sources)
    for source in sources:
        list_objects(source)
    wanted = list(objects) if objects is not None else None
    plan = {s: _check_objects(s, _for_source(s, wanted)) for s in sources}
    summary = ExtractSummary(run_id or new_run_id())
    options = options or ExtractOptions.from_env()
    emit = _printer(progress)
    started = time.monotonic()

    def run_source(source: str) -> list[ObjectSummary]:
        results: list[ObjectSummary] = []
        try:
            clients = _Clients(settings, source)
        except ExtractError as exc:
            return [ObjectSummary(source, o, o, outcome="failed", error=str(exc)) for o in plan[source]]
        for object_name in plan[source]:
            try:
                results.append(_run_one(clients, dsn, object_name, summary.run_id, full_refresh, options, emit))
            except Exception as exc:  # noqa: BLE001 - one object's failure must not hide the others
                message = str(exc) if isinstance(exc, ExtractError) else scrub(f"{type(exc).__name__}: {exc}")
                results.append(ObjectSummary(source, object_name, object_name, outcome="failed", error=message))
                if emit:
                    emit(f"{source}.{object_name}: FAILED: {message}")
        return results

    with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
        for results in pool.map(run_source, sources):
            summary.objects.extend(results)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _for_source(source: str, objects: list[str] | None) -> list[str] | None:
    """`--objects` may mix sources; keep the names that belong to this one."""
    if objects is None:
        return None
    known = {o.lower() for o in list_objects(source)}
    mine = [o for o in objects if o.lower() in known]
    unknown = [o for o in objects if not any(o.lower() in {k.lower() for k in list_objects(s)} for s in SOURCES)]
    if unknown:
        raise ValueError(f"unknown object(s): {', '.join(unknown)}")
    return mine
