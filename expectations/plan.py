"""Which validations a run makes: the suites' targets that exist in the warehouse (discovered
tables included), the ones that do not ('not built'), a run id never used before, and the
per-validation suite parameters that come from earlier runs (row-count band, mix baselines)."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from expectations import audit
from expectations.specs import ROW_COUNT_MAX, ROW_COUNT_MIN, SuiteDef, Target
from expectations.suites import all_suites
from funnelhouse.core.paths import StatePaths
from funnelhouse.core.runtime import load_quality_thresholds

_THRESHOLDS = load_quality_thresholds()
ROW_COUNT_DROP = _THRESHOLDS.row_drop      # -50 % -> warning
ROW_COUNT_GROWTH = _THRESHOLDS.row_growth  # +200 % -> warning

_QUERY_TABLES = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)", re.IGNORECASE)


@dataclass
class Planned:
    """One validation to run: a suite on one of its targets."""

    suite: SuiteDef
    target: Target

    @property
    def name(self) -> str:
        return f"{self.suite.name}@{self.target.name}"


def safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_")[:120]


def unique_run_id(conn: psycopg.Connection, run_id: str | None, layer: str, state_dir: Path) -> str:
    base = safe(run_id) if run_id else (
        f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{safe(layer.replace(',', '+'))}-{uuid.uuid4().hex[:6]}")
    candidate, n = base, 1
    while audit.run_id_used(conn, candidate) or (StatePaths(state_dir).quality_runs / candidate).exists():
        n += 1
        candidate = f"{base}.{n}"
    return candidate


def _relations(conn: psycopg.Connection, schemas: set[str]) -> set[tuple[str, str]]:
    found = conn.execute(
        """select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'v', 'm', 'p', 'f') and n.nspname = any(%s)""",
        (sorted(schemas),),
    ).fetchall()
    return {(s, t) for s, t in found}


def plan(conn: psycopg.Connection, chosen: list[SuiteDef], schema_map: dict[str, str] | None = None,
         ) -> tuple[list[Planned], list[tuple[SuiteDef, str]]]:
    """The validations to run, and the (suite, asset) pairs whose tables are missing.

    `schema_map` validates a contract schema's tables where they physically are, e.g.
    {"marts": "marts__next"} (the publish step's shadow); names in results stay the contract's."""
    schema_map = schema_map or {}
    schemas = {t.schema for s in chosen for t in s.targets} | {s.discover_schema for s in chosen if s.discover_schema}
    for s in chosen:
        for t in s.targets:
            if t.query:
                schemas |= {m.group(1) for m in _QUERY_TABLES.finditer(t.query)}
    existing = _relations(conn, {x for x in schemas | {schema_map.get(x) for x in schemas} if x})
    if schema_map:
        # existence in contract names: the mapped schema's tables stand for the contract schema's
        reverse = {physical: contract for contract, physical in schema_map.items()}
        existing = {(reverse.get(s, s), t) for s, t in existing if s not in schema_map}
    covered = {(t.schema, t.table) for s in all_suites() for t in s.targets if not t.query}
    planned: list[Planned] = []
    missing: list[tuple[SuiteDef, str]] = []
    for suite in chosen:
        targets = list(suite.targets)
        if suite.discover_schema:
            tables = sorted({t for s, t in existing if s == suite.discover_schema and not t.startswith("_")
                             and not (suite.discover_uncovered and (s, t) in covered)})
            targets += [Target(suite.discover_schema, t, suite.discover_id_columns) for t in tables]
            missing += [(suite, f"{suite.discover_schema}.{t}") for t in suite.expected_tables if t not in tables]
        for target in targets:
            needed = ({(m.group(1), m.group(2)) for m in _QUERY_TABLES.finditer(target.query)}
                      if target.query else {(target.schema, target.table)})
            absent = sorted(f"{s}.{t}" for s, t in needed if (s, t) not in existing)
            if absent:
                label = f"{target.name} (needs {', '.join(absent)})" if target.query else target.name
                missing.append((suite, label))
            else:
                planned.append(Planned(suite, target.remapped(schema_map)))
    return planned, missing


@dataclass
class Previous:
    """What earlier runs recorded in `audit`, read once before this run writes anything."""

    row_counts: dict[tuple[str, str], int]
    partitions: dict[tuple[str, str, str], dict]

    @classmethod
    def load(cls, conn: psycopg.Connection) -> Previous:
        return cls(audit.previous_row_counts(conn), audit.previous_partitions(conn))

    def parameters(self, item: Planned, conn: psycopg.Connection) -> dict[str, Any]:
        """Suite parameters of one validation: the row-count band and the baseline distributions."""
        suite, target = item.suite, item.target
        params: dict[str, Any] = row_count_band(self.row_counts.get((suite.name, target.name)))
        for exp in suite.gx_suite().expectations:
            partition = getattr(exp, "partition_object", None)
            if isinstance(partition, dict) and "$PARAMETER" in partition:
                column = exp.column
                params[partition["$PARAMETER"]] = (self.partitions.get((suite.name, target.name, column))
                                                   or _current_partition(conn, target, column))
        return params


def row_count_band(previous: int | None) -> dict[str, float | None]:
    if previous is None:
        return {ROW_COUNT_MIN: 0, ROW_COUNT_MAX: None}
    return {ROW_COUNT_MIN: math.ceil(previous * (1 - ROW_COUNT_DROP)),
            ROW_COUNT_MAX: math.floor(previous * (1 + ROW_COUNT_GROWTH))}


def _current_partition(conn: psycopg.Connection, target: Target, column: str) -> dict:
    """The first run of a mix-drift check compares the distribution with itself."""
    found = conn.execute(
        f'select "{column}"::text, count(*) from {target.relation} where "{column}" is not null '  # noqa: S608
        "group by 1 order by 1"
    ).fetchall()
    total = sum(n for _, n in found) or 1
    return {"values": [v for v, _ in found], "weights": [n / total for _, n in found]}
