"""More than 10,000 changed records in one incremental window: the search API refuses offsets past
10,000, so offset paging cannot read them; keyset pagination must, including 250 records that share
one modification instant (more than a page), without losing or repeating any."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from extractors.engine.base import ExtractOptions
from extractors.engine.errors import ApiError
from extractors.engine.retry import Counters
from extractors.hubspot.api import HubSpotApi
from extractors.run import extract_object
from sandbox.server import start_sandbox
from tests.support.extract import latest, settings_for

N = 10_300
SAME_INSTANT = 250
START = datetime(2025, 3, 1, tzinfo=UTC)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def write_emails(folder: Path, shift: timedelta) -> None:
    """A user-supplied dataset (the documented export layout) holding only HubSpot emails."""
    (folder / "hubspot").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(N):
        created = START + timedelta(seconds=i)
        modified = (START + timedelta(days=10) if i < SAME_INSTANT else created) + shift
        lines.append(json.dumps({
            "id": str(90_000_000 + i),
            "properties": {"hs_createdate": _iso(created), "hs_lastmodifieddate": _iso(modified),
                           "hs_object_id": str(90_000_000 + i), "hs_timestamp": _iso(created),
                           "hs_email_subject": f"subject {i} {shift.days}", "hs_email_direction": "EMAIL"},
            "createdAt": _iso(created), "updatedAt": _iso(modified), "archived": False}))
    (folder / "hubspot" / "emails.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "world.json").write_text(json.dumps({"clock": _iso(START + timedelta(days=40))}))


@pytest.mark.timeout(300)
def test_incremental_window_beyond_the_search_cap(tmp_path: Path, make_database: Callable[[str], str]) -> None:
    dataset = tmp_path / "emails"
    write_emails(dataset, timedelta(0))
    dsn = make_database("ex_cap")
    options = ExtractOptions(flush_rows=5000)
    with start_sandbox(dataset) as servers:
        first = extract_object(settings_for(servers, tmp_path), dsn, "hubspot", "emails", options=options)
        assert (first.outcome, first.versions_new) == ("success", N)

        # The cap is real: plain offset paging dies at 10,000 through the same client.
        api = HubSpotApi(settings_for(servers, tmp_path), Counters())
        with pytest.raises(ApiError, match="HTTP 400"):
            api.search("emails", {"limit": 200, "after": "10000", "properties": ["hs_object_id"]})

    write_emails(dataset, timedelta(days=11))  # every email modified again, after the stored watermark
    with start_sandbox(dataset) as servers:
        second = extract_object(settings_for(servers, tmp_path), dsn, "hubspot", "emails", options=options)
    assert second.outcome == "success" and "search" in second.mode
    assert second.versions_new == N
    stored = latest(dsn, "raw_hubspot.emails")
    assert len(stored) == N
    assert all(v[2]["properties"]["hs_email_subject"].endswith(" 11") for v in stored.values())
    with psycopg.connect(dsn) as conn:
        versions = conn.execute("select count(*) from raw_hubspot.emails").fetchone()[0]
        watermark = conn.execute(
            "select watermark from raw_meta.sync_state where object = 'emails'").fetchone()[0]
    assert versions == 2 * N
    assert watermark == START + timedelta(days=21)  # the 250 share the newest instant
