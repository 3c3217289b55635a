"""Issue 15 #4, the setting: with FUNNELHOUSE_ERASE_VANISHED=true the DAG's HubSpot contacts task
erases every contact that vanished (GDPR delete) right after the id reconciliation tombstones it; off
(the default) the tombstone alone. `--mess heavy` world advanced past the vanishing, the real
hubspot-api-client over HTTP, the DAG task function with its settings from the environment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from extractors.run import extract
from funnelhouse.orchestration import tasks
from sandbox.server import start_sandbox
from sandbox.world import advance, generate
from tests.support.extract import TEST_OPTIONS, dataset_records, latest, settings_for

OBJECTS = ["contacts", "calls", "emails", "meetings"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]) -> tuple[Path, str, Path]:
    root = tmp_path_factory.mktemp("vanish-erase")
    world = generate(seed=37, people=400, out_dir=root / "w", mess="heavy")
    dsn = make_database("erase_vanish")
    with start_sandbox(world) as servers:
        assert extract(settings_for(servers, root), dsn, objects=OBJECTS, progress=False, options=TEST_OPTIONS).ok
    advance(world, days=200)
    return world, dsn, root


def _run_contacts_task(monkeypatch: pytest.MonkeyPatch, world: Path, dsn: str, root: Path, erase: bool) -> dict:
    with start_sandbox(world) as servers:
        for key, value in servers.crm_env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("WAREHOUSE_DSN", dsn)
        monkeypatch.setenv("FUNNELHOUSE_STATE_DIR", str(root / "state"))
        monkeypatch.setenv("FUNNELHOUSE_ERASE_VANISHED", "true" if erase else "false")
        return tasks.extract_object("hubspot", "contacts", reconcile_now=True)


def _erasures(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        if conn.execute("select to_regclass('audit.erasures')").fetchone()[0] is None:
            return []
        return conn.execute("select trigger, key_kind, people, records from audit.erasures order by id").fetchall()


def _emails_of(dsn: str, ids: set[str]) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0].lower() for r in conn.execute(
            "select record->'properties'->>'email' from raw_hubspot.contacts where id = any(%s) "
            "and record->'properties'->>'email' is not null", (list(ids),))}


def test_vanished_contacts_are_erased_only_with_the_setting(world: tuple[Path, str, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path, dsn, root = world
    served = {r["id"] for r in dataset_records(path, "hubspot", "contacts")}
    merged = {m["mergedId"] for m in dataset_records(path, "hubspot", "contact_merges")}
    gone = set(latest(dsn, "raw_hubspot.contacts")) - served - merged
    assert len(gone) >= 1, "the world must have a vanished contact"
    addresses = _emails_of(dsn, gone)
    assert addresses

    off = _run_contacts_task(monkeypatch, path, dsn, root, erase=False)
    assert off["outcome"] == "success" and off["tombstones"] >= len(gone) and "erased_vanished" not in off
    assert _erasures(dsn) == [] and _emails_of(dsn, gone) == addresses  # tombstoned, not erased

    on = _run_contacts_task(monkeypatch, path, dsn, root, erase=True)
    assert on["outcome"] == "success" and on["erased_vanished"] == len(gone)
    rows = _erasures(dsn)
    assert len(rows) == len(gone)
    assert all(r[:3] == ("vanished", "hubspot_contact_id", 1) and r[3]["raw_hubspot.contacts"] >= 1 for r in rows)
    with psycopg.connect(dsn) as conn:
        dump = "\n".join(r[0] for r in conn.execute(
            "select record::text from raw_hubspot.contacts union all select record::text from raw_hubspot.emails "
            "union all select record::text from raw_hubspot.calls union all select record::text from "
            "raw_hubspot.meetings")).lower()
        assert not [a for a in addresses if a in dump]
        assert not [a for a in addresses if a in json.dumps(rows).lower()]
        # the contacts still served keep their data: nothing outside the vanished ones was touched
        spread = conn.execute("select count(*) from raw_hubspot.contacts where not (id = any(%s)) "
                              "and record::text like '%%erased.invalid%%'", (list(gone | merged),)).fetchone()[0]
        assert spread == 0
        assert conn.execute("select count(distinct id) from raw_hubspot.contacts where id = any(%s)",
                            (list(gone),)).fetchone()[0] == len(gone)  # the rows are kept, redacted
    # a later run has nothing left to erase
    again = _run_contacts_task(monkeypatch, path, dsn, root, erase=True)
    assert again["erased_vanished"] == 0 and len(_erasures(dsn)) == len(gone)
