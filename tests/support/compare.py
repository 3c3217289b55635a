"""Comparing what the warehouse holds with an independent computation: numbers within a tolerance
(Decimal and float alike, None only equals None), result rows keyed by their grain, and digests and
counts of whole schemas for before/after equality."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from decimal import Decimal

import psycopg

TOL = 1e-9


def close(a, b, tol: float = TOL) -> bool:
    """Numbers equal within `tol` (relative and absolute); None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=tol)


def same(a, b) -> bool:
    """One cell: numbers within TOL, booleans and everything else exactly."""
    if isinstance(a, Decimal):
        a = float(a)
    if isinstance(b, Decimal):
        b = float(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)
    return a == b


def compare_rows(expected: dict, rows: list[dict], key: Callable[[dict], tuple], what: str) -> None:
    """`rows` (from the warehouse) hold exactly the grains of `expected`, once each, and every cell
    `expected` names is `same`."""
    actual = {}
    for r in rows:
        k = key(r)
        assert k not in actual, f"{what}: duplicate grain {k}"
        actual[k] = r
    missing = sorted(set(expected) - set(actual), key=repr)[:5]
    extra = sorted(set(actual) - set(expected), key=repr)[:5]
    assert not missing and not extra, f"{what}: missing {missing} extra {extra}"
    bad = []
    for k, cols in expected.items():
        for col, value in cols.items():
            if not same(value, actual[k][col]):
                bad.append((k, col, value, actual[k][col]))
    assert not bad, f"{what}: {len(bad)} cells differ, e.g. {bad[:5]}"


def compare_cells(expected: dict, actual: dict, cols: list[str], what: str, tol: float = TOL) -> None:
    """Keyed dicts with the same keys; the `cols` of every row `close` (numbers) or equal."""
    assert set(actual) == set(expected), (
        f"{what}: missing {sorted(set(expected) - set(actual), key=str)[:5]},"
        f" extra {sorted(set(actual) - set(expected), key=str)[:5]}")
    bad = [(k, c, actual[k][c], e[c]) for k, e in expected.items() for c in cols
           if not (close(actual[k][c], e[c], tol) if isinstance(e[c], float | int) or e[c] is None
                   else actual[k][c] == e[c])]
    assert not bad, f"{what}: {len(bad)} cells differ, e.g. {bad[:5]}"


def table_digest(dsn: str, schema: str, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """md5 of every table's rows (sorted, text form) in a schema: equal digests = identical content."""
    out = {}
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s and table_type = 'BASE TABLE'",
            (schema,))]
        for table in tables:
            cols = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_schema=%s and table_name=%s "
                "order by ordinal_position", (schema, table)) if r[0] not in exclude]
            collist = ", ".join(f'"{c}"' for c in cols)
            rows = conn.execute(f'select {collist} from "{schema}"."{table}"').fetchall()
            digest = hashlib.md5(usedforsecurity=False)
            for line in sorted(repr(r) for r in rows):
                digest.update(line.encode())
            out[table] = f"{len(rows)}:{digest.hexdigest()}"
    return out


def counts(dsn: str, schemas: tuple[str, ...]) -> dict[str, int]:
    """Row count of every table in `schemas`, keyed `schema.table`."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for schema, table in conn.execute(
                "select table_schema, table_name from information_schema.tables where table_schema = any(%s) "
                "and table_type = 'BASE TABLE'", (list(schemas),)).fetchall():
            out[f"{schema}.{table}"] = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return out
