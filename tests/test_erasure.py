"""Issue 15 #4: `funnelhouse erase --email` takes one person's email and name out of every text/jsonb
column of the warehouse and every file under the state folder, keeps every row (raw and marts counts
unchanged), and records an audit row naming no personal data. A heavy-mess world extracted through
the real clients, marts built through write-audit-publish, raw-layer GX results, Data Docs and a run
report in the state folder; the erasure through the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from expectations.runner import validate
from funnelhouse.core.settings import PROJECT_ROOT
from funnelhouse.publish import build_validate_publish
from funnelhouse.report.build import build_report
from sandbox.world import generate
from tests.support.extract import TEST_OPTIONS, extract_world

SCHEMAS_SKIPPED = ("pg_catalog", "information_schema", "pg_toast")


def _text_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        """select c.table_schema, c.table_name, c.column_name from information_schema.columns c
           join information_schema.tables t using (table_schema, table_name)
           where c.table_schema not in ('pg_catalog', 'information_schema') and t.table_type = 'BASE TABLE'
             and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'character', 'ARRAY')
           order by 1, 2, 3""").fetchall()


def warehouse_hits(dsn: str, needles: list[str]) -> list[str]:
    """`schema.table.column` of every text/varchar/jsonb column holding any needle (case-insensitive)."""
    patterns = [f"%{n}%" for n in needles]
    hits = []
    with psycopg.connect(dsn) as conn:
        for schema, table, column in _text_columns(conn):
            found = conn.execute(f'select 1 from "{schema}"."{table}" where "{column}"::text ilike any(%s) limit 1',
                                 (patterns,)).fetchone()
            if found:
                hits.append(f"{schema}.{table}.{column}")
    return hits


def file_hits(state: Path, needles: list[str]) -> list[str]:
    pgdata = state / "pg" / "pgdata"
    out = []
    for path in (p for p in state.rglob("*") if p.is_file() and pgdata not in p.parents):
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        out += [f"{path.relative_to(state)}: {n[:3]}…" for n in needles if n.lower() in text]
    return out


def counts(dsn: str, schemas: tuple[str, ...]) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        names = conn.execute("select table_schema, table_name from information_schema.tables where "
                             "table_schema = any(%s) and table_type = 'BASE TABLE'", (list(schemas),)).fetchall()
        return {f"{s}.{t}": conn.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in names}


FIRST, LAST = "Zyrafelle", "Quorvantine"  # occur nowhere else: any hit after the erasure is theirs
# The people erased by id (--salesforce-id, --hubspot-contact-id), named as uniquely.
BY_ID = {"salesforce_id": ("Vexmorina", "Thrallquist"), "hubspot_contact_id": ("Ozzbretta", "Calvanique")}


def rename_person(world: Path, first: str = FIRST, last: str = LAST, taken: frozenset[str] = frozenset()) -> str:
    """Someone in both CRMs (not in `taken`), renamed `first last` on every world record carrying their
    address (before extraction), so that the name scan has no other person to find. Returns their address."""
    people = [json.loads(ln) for ln in (world / "truth" / "people.jsonl").read_text().splitlines()]
    leads = (world / "salesforce" / "Lead.jsonl").read_text().lower()
    email = next(p["person_key"].lower() for p in people
                 if set(p["systems"]) == {"salesforce", "hubspot"} and f'"{p["person_key"].lower()}"' in leads
                 and p["person_key"].lower() not in taken)
    for path in [*(world / "salesforce").glob("*.jsonl"), *(world / "hubspot").glob("*.jsonl")]:
        lines = path.read_text().splitlines()
        changed = False
        for i, line in enumerate(lines):
            if email not in line.lower():
                continue
            record = json.loads(line)
            props = record.get("properties", record)
            for key, value in (("FirstName", first), ("LastName", last), ("Name", f"{first} {last}"),
                               ("firstname", first), ("lastname", last)):
                if key in props:
                    props[key] = value
            lines[i] = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            changed = True
        if changed:
            path.write_text("\n".join(lines) + "\n")
    return email


def world_id(world: Path, key_kind: str, email: str) -> str:
    """The id the request names: the person's Salesforce Lead, or a HubSpot contact with their address."""
    path, field = ((world / "salesforce" / "Lead.jsonl", "Email") if key_kind == "salesforce_id"
                   else (world / "hubspot" / "contacts.jsonl", "email"))
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if str(record.get("properties", record).get(field) or "").lower() == email:
            return str(record.get("Id") or record["id"])
    raise AssertionError(f"no {path.name} record with the address of the {key_kind} person")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, make_database: Callable[[str], str]) -> dict:
    root = tmp_path_factory.mktemp("erase")
    world = generate(seed=11, people=120, out_dir=root / "world", mess="heavy")
    email = rename_person(world)
    by_id: dict[str, dict] = {}
    for kind, (first, last) in BY_ID.items():
        address = rename_person(world, first, last, frozenset({email, *(p["email"] for p in by_id.values())}))
        by_id[kind] = {"email": address, "names": [first, last], "id": world_id(world, kind, address)}
    state = root / "state"
    dsn = make_database("erase")
    extract_world(world, dsn, state, TEST_OPTIONS)
    validate(dsn, "raw", run_id="erase-test-raw", state_dir=state)
    pub = build_validate_publish(dsn, "erase-test-1", state_dir=state)
    assert pub.published, pub.reason
    build_report(dsn, state / "reports" / "erase-test-1", data_docs=str(state / "data_docs"))
    first, last = FIRST, LAST
    # a log line that leaked the address and name (what a careless debug line would write)
    (state / "logs").mkdir(parents=True, exist_ok=True)
    (state / "logs" / "run-erase-test.log").write_text(
        f"INFO contact {email} ({first} {last}) updated\n"
        + "".join(f"INFO contact {p['email']} ({' '.join(p['names'])}) updated\n" for p in by_id.values()))
    return {"root": root, "world": world, "state": state, "dsn": dsn, "email": email, "names": [first, last],
            "by_id": by_id}


def _erase(built: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "HUBSPOT_", "FUNNELHOUSE_"))}
    env.update(WAREHOUSE_DSN=built["dsn"], FUNNELHOUSE_STATE_DIR=str(built["state"]))
    return subprocess.run([sys.executable, "-m", "funnelhouse", "erase", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900)


def leaked(needles: list[str], text: str) -> list[str]:
    return [n for n in needles if n.lower() in text.lower()]


def erase_leaving_no_trace(built: dict, needles: list[str], *args: str) -> None:
    """Run the erase: it succeeds and publishes, names none of the needles, and afterwards they are in no
    warehouse column and no state file while raw keeps every row."""
    raw_before = counts(built["dsn"], ("raw_salesforce", "raw_hubspot", "raw_meta"))
    out = _erase(built, *args)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 person" in out.stdout and "published" in out.stdout
    assert not leaked(needles, out.stdout + out.stderr)
    assert warehouse_hits(built["dsn"], needles) == []
    assert file_hits(built["state"], needles) == []
    assert counts(built["dsn"], ("raw_salesforce", "raw_hubspot", "raw_meta")) == raw_before


def test_erase_by_email_leaves_no_trace_and_keeps_every_row(built: dict) -> None:
    needles = [built["email"], *built["names"]]
    # the scans see the person before: in raw, staging and in the planted log (and nowhere else has them)
    before_hits = warehouse_hits(built["dsn"], needles)
    assert any(h.startswith("raw_salesforce.lead") for h in before_hits), before_hits
    assert any(h.startswith("raw_hubspot.contacts") for h in before_hits), before_hits
    assert file_hits(built["state"], needles)
    marts_before = counts(built["dsn"], ("marts", "staging", "intermediate"))

    erase_leaving_no_trace(built, needles, "--email", built["email"])
    marts_after = counts(built["dsn"], ("marts", "staging", "intermediate"))
    assert marts_after == marts_before
    with psycopg.connect(built["dsn"]) as conn:
        assert conn.execute("select to_regnamespace('marts__prev')").fetchone()[0] is None
        rows = conn.execute("select erasure_id, trigger, key_kind, people, records, files_scrubbed, rebuild "
                            "from audit.erasures where key_kind = 'email'").fetchall()
        # the person is still one person: their Salesforce lead and HubSpot contact share a pseudonym
        pseudonyms = conn.execute(
            """select count(distinct lower(record->>'Email')) from raw_salesforce.lead
               where record->>'Email' like 'erased.%%@erased.invalid'""").fetchone()[0]
        shared = conn.execute(
            """select count(*) from raw_salesforce.lead l join raw_hubspot.contacts c
               on lower(l.record->>'Email') = lower(c.record->'properties'->>'email')
               where l.record->>'Email' like 'erased.%%@erased.invalid'""").fetchone()[0]
        with pytest.raises(psycopg.errors.RaiseException):
            conn.execute("delete from audit.erasures")
    assert pseudonyms >= 1 and shared >= 1
    assert len(rows) == 1
    erasure_id, trigger, kind, people, records, scrubbed, rebuild = rows[0]
    assert (trigger, kind, people) == ("request", "email", 1) and scrubbed >= 1 and rebuild.startswith("published")
    assert records["raw_salesforce.lead"] >= 1 and records["raw_hubspot.contacts"] >= 1
    assert not leaked(needles, json.dumps(rows[0], default=str))

    again = _erase(built, "--email", built["email"])
    assert again.returncode == 1 and "nothing to erase" in again.stderr and "--email" in again.stderr
    assert built["email"] not in again.stderr + again.stdout


@pytest.mark.parametrize("key_kind", list(BY_ID))
def test_erase_by_id_takes_the_person_found_through_their_records(built: dict, key_kind: str) -> None:
    """The id alone finds the person: their address (read off the record the id names) and their other
    records in both CRMs go too, so the address and name are nowhere afterwards."""
    person = built["by_id"][key_kind]
    needles = [person["email"], *person["names"]]
    before = warehouse_hits(built["dsn"], needles)
    assert any(h.startswith("raw_salesforce.") for h in before) and any(h.startswith("raw_hubspot.") for h in before)
    assert file_hits(built["state"], needles)
    option = "--" + key_kind.replace("_", "-")

    erase_leaving_no_trace(built, needles, option, person["id"])
    with psycopg.connect(built["dsn"]) as conn:
        rows = conn.execute("select key_kind, people, records from audit.erasures where key_kind = %s",
                            (key_kind,)).fetchall()
    assert len(rows) == 1 and rows[0][1] == 1
    # found from one id, the person's records of both systems were redacted
    assert any(t.startswith("raw_salesforce.") for t in rows[0][2]) and any(
        t.startswith("raw_hubspot.") for t in rows[0][2]), rows[0][2]
    assert not leaked(needles, json.dumps(rows[0], default=str))

    again = _erase(built, option, person["id"])
    assert again.returncode == 1 and "nothing to erase" in again.stderr and option in again.stderr
