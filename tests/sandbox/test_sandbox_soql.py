"""The SOQL subset parser on its own: what it accepts, what it answers, what it refuses."""

from __future__ import annotations

import pytest

from sandbox.emulators.salesforce.soql import SoqlError, parse, sort_records

TYPES = {"Id": "id", "Name": "string", "Amount": "currency", "IsWon": "boolean", "CloseDate": "date",
         "SystemModstamp": "datetime", "StageName": "picklist"}
ROWS = [
    {"Id": "006A", "Name": "Acme", "Amount": 100.0, "IsWon": True, "CloseDate": "2024-03-01",
     "SystemModstamp": "2024-03-01T10:00:00.000+0000", "StageName": "Closed Won"},
    {"Id": "006B", "Name": "Bolt", "Amount": None, "IsWon": False, "CloseDate": "2024-05-01",
     "SystemModstamp": "2024-05-01T10:00:00.000+0000", "StageName": "Prospecting"},
    {"Id": "006C", "Name": "Core", "Amount": 50.0, "IsWon": False, "CloseDate": "2024-04-01",
     "SystemModstamp": "2024-04-01T10:00:00.000+0000", "StageName": "Closed Lost"},
]


def schema(name: str) -> tuple[str, dict[str, str]] | None:
    return ("Opportunity", TYPES) if name.lower() == "opportunity" else None


def ids(soql: str) -> list[str]:
    q = parse(soql, schema)
    rows = [r for r in ROWS if q.where is None or q.where(r)]
    rows = sort_records(rows, q.order)[q.offset:]
    return [r["Id"] for r in (rows if q.limit is None else rows[:q.limit])]


@pytest.mark.parametrize(("soql", "want"), [
    ("select id from opportunity", ["006A", "006B", "006C"]),
    ("SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-03-01T10:00:00Z", ["006B", "006C"]),
    ("SELECT Id FROM Opportunity WHERE SystemModstamp >= 2024-03-01T11:00:00+01:00", ["006A", "006B", "006C"]),
    ("SELECT Id FROM Opportunity WHERE CloseDate < 2024-04-15 AND IsWon = FALSE", ["006C"]),
    ("SELECT Id FROM Opportunity WHERE IsWon = TRUE OR (Amount < 60 AND NOT Name = 'Acme')", ["006A", "006C"]),
    ("SELECT Id FROM Opportunity WHERE StageName IN ('Closed Won', 'Closed Lost')", ["006A", "006C"]),
    ("SELECT Id FROM Opportunity WHERE StageName NOT IN ('Closed Won')", ["006B", "006C"]),
    ("SELECT Id FROM Opportunity WHERE Amount = NULL", ["006B"]),
    ("SELECT Id FROM Opportunity WHERE Amount != null", ["006A", "006C"]),
    ("SELECT Id FROM Opportunity WHERE Name LIKE 'b%'", ["006B"]),
    ("SELECT Id FROM Opportunity WHERE Id > '006A' ORDER BY Id DESC", ["006C", "006B"]),
    ("SELECT Id FROM Opportunity ORDER BY Amount DESC NULLS LAST", ["006A", "006C", "006B"]),
    ("SELECT Id FROM Opportunity ORDER BY Amount", ["006B", "006C", "006A"]),
    ("SELECT Id FROM Opportunity ORDER BY SystemModstamp, Id LIMIT 2 OFFSET 1", ["006C", "006B"]),
])
def test_answers(soql: str, want: list[str]) -> None:
    assert ids(soql) == want


@pytest.mark.parametrize(("soql", "code"), [
    ("SELECT Id FROM Opportunity WHERE", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity WHERE Amount > 'x'", "INVALID_FIELD"),
    ("SELECT Id FROM Opportunity WHERE IsWon = 'true'", "INVALID_FIELD"),
    ("SELECT Id FROM Opportunity WHERE Name = Acme", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity WHERE Id IN (SELECT Id FROM Opportunity)", "MALFORMED_QUERY"),
    ("SELECT FIELDS(ALL) FROM Opportunity LIMIT 200", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity WITH SECURITY_ENFORCED", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity FOR UPDATE", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity OFFSET 5000", "NUMBER_OUTSIDE_VALID_RANGE"),
    ("SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity", "MALFORMED_QUERY"),
    ("SELECT Id FROM Opportunity WHERE Amount ~ 3", "MALFORMED_QUERY"),
    ("", "MALFORMED_QUERY"),
])
def test_refusals(soql: str, code: str) -> None:
    with pytest.raises(SoqlError) as err:
        parse(soql, schema)
    assert err.value.code == code and err.value.message


def test_count_and_fields() -> None:
    q = parse("SELECT COUNT() FROM Opportunity WHERE IsWon = true", schema)
    assert q.count_only and q.fields == []
    q = parse("SELECT id, NAME, amount FROM OPPORTUNITY", schema)
    assert q.obj == "Opportunity" and q.fields == ["Id", "Name", "Amount"]
