"""The raw loader and payload validation against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from extractors.engine.loader import RawLoader, encode_rows
from extractors.engine.records import RawRow, RowSpec, to_batch
from funnelhouse.core.raw import ensure_meta, ensure_raw_table, table_name

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def rows(n: int, start: int = 0, version: int = 0) -> list[RawRow]:
    return [RawRow(f"id{i:05d}", T0 + timedelta(minutes=version), {"Id": f"id{i:05d}", "v": version,
                   "text": "tab\there \\ back \u00e9 \U0001f600"}, False) for i in range(start, start + n)]


@pytest.fixture()
def conn(warehouse_dsn: str):
    with psycopg.connect(warehouse_dsn, autocommit=True) as c:
        ensure_meta(c)
        ensure_raw_table(c, "salesforce", "loader_probe")
        c.execute("truncate raw_salesforce.loader_probe")
        yield c


def load(conn: psycopg.Connection, batch: list[RawRow], expect_new: bool, batch_id: str = "b1"):
    lines, rejected = encode_rows(batch, "salesforce", "Probe", batch_id, T0)
    assert rejected == []
    with conn.transaction():
        return RawLoader(conn, "salesforce", "loader_probe").load(lines, expect_new)


def stored(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select id, source_updated_at, record, is_deleted, _batch_id from raw_salesforce.loader_probe order by 1, 2"
    ).fetchall()


def test_direct_copy_then_overlap_is_filtered_not_duplicated(conn: psycopg.Connection) -> None:
    first = load(conn, rows(100), expect_new=True)
    assert (first.path, first.new_versions) == ("direct", 100)
    snapshot = stored(conn)
    assert snapshot[0][2]["text"] == "tab\there \\ back \u00e9 \U0001f600"

    # The hint is wrong on purpose: the primary key catches the overlap and nothing changes.
    again = load(conn, rows(100), expect_new=True, batch_id="b2")
    assert (again.path, again.new_versions) == ("filtered", 0)
    assert stored(conn) == snapshot

    mixed = load(conn, rows(100, start=50) + rows(10, version=1), expect_new=False, batch_id="b3")
    assert (mixed.path, mixed.new_versions) == ("filtered", 60)
    assert len(stored(conn)) == 160
    assert conn.execute("select count(*) from raw_salesforce.loader_probe where _batch_id = 'b1'").fetchone()[0] == 100


def test_duplicate_versions_inside_one_batch_load_once(conn: psycopg.Connection) -> None:
    result = load(conn, rows(5) + rows(5), expect_new=True)
    assert result.new_versions == 5


def test_merge_fallback_is_idempotent(conn: psycopg.Connection) -> None:
    load(conn, rows(20), expect_new=True)
    lines, _ = encode_rows(rows(30), "salesforce", "Probe", "b9", T0)
    with conn.transaction():
        result = RawLoader(conn, "salesforce", "loader_probe")._merge(conn.cursor(), lines)
    assert (result.path, result.new_versions) == ("merge", 10)
    assert len(stored(conn)) == 30


def test_bad_payloads_are_rejected_with_object_id_and_field() -> None:
    spec = RowSpec("salesforce", "Lead", "Id", ("SystemModstamp",))
    batch = to_batch(spec, [
        {"Id": "00Q1", "SystemModstamp": "2025-01-01T00:00:00.000+0000"},
        {"Name": "no id", "SystemModstamp": "2025-01-01T00:00:00.000+0000"},
        {"Id": "00Q2", "SystemModstamp": "yesterday"},
        {"Id": "00Q3", "SystemModstamp": "2025-01-01T00:00:00"},
        ["not", "an", "object"],
        {"Id": "00Q4"},
    ])
    assert [r.id for r in batch.rows] == ["00Q1"]
    reasons = [r.reason for r in batch.rejected]
    assert reasons[0] == "salesforce Lead: record has no id (field Id is missing or empty)"
    assert reasons[1] == "salesforce Lead 00Q2: field SystemModstamp: unparseable timestamp 'yesterday'"
    assert "00Q3" in reasons[2] and "SystemModstamp" in reasons[2] and "no UTC offset" in reasons[2]
    assert reasons[3] == "salesforce Lead: payload is a list, not a JSON object"
    assert "00Q4" in reasons[4] and "SystemModstamp" in reasons[4]
    assert [r.record_id for r in batch.rejected] == [None, "00Q2", "00Q3", None, "00Q4"]


def test_nul_characters_are_dropped_not_fatal(conn: psycopg.Connection) -> None:
    bad = [RawRow("n1", T0, {"Id": "n1", "Name": "a\x00b"}, False)]
    load(conn, bad, expect_new=True)
    assert stored(conn)[0][2]["Name"] == "ab"


@pytest.mark.parametrize(("api", "table"), [
    ("OpportunityContactRole", "opportunity_contact_role"), ("Product2", "product2"), ("UserRole", "user_role"),
    ("User", "user"), ("LeadHistory", "lead_history"), ("Partner_Tier__c", "partner_tier__c"),
])
def test_table_names_follow_the_contract(api: str, table: str) -> None:
    assert table_name(api) == table
