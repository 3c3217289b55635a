"""`funnelhouse erase`: one person's personal data out of the warehouse and the state folder.

    erase(dsn, email="x@y.z")            # or salesforce_id= / hubspot_id=

1. *Find* the person: Salesforce Leads / Contacts and HubSpot contacts by email (`hs_additional_emails`
   too) and by id, closed over what links them (a Lead's ConvertedContactId, MasterRecordId, HubSpot
   `hs_merged_object_ids` and contact_merges) - every version, tombstones included.
2. *Redact* every raw version (and rejected record) that holds their data: in their own records every
   personal key (funnelhouse/core/personal.py) becomes `[erased]`, an email a pseudonymous
   `erased.<hash>@erased.invalid` (one per address and erasure, salt never stored, so a person's Salesforce
   and HubSpot records still resolve to one person and every count adds up); in any other record
   (tasks, engagements, merges, ...) the addresses, names and phones inside text become the same
   markers. Ids, timestamps and every other fact stay. `_extracted_at` is re-stamped so incremental
   models re-read the rows.
3. *Rebuild* staging/intermediate/marts (`dbt build --full-refresh` through write-audit-publish) and
   drop `marts__prev`, the previous publication.
4. *Scrub* every file under the state folder (Data Docs, validation results, reports, logs) that still
   names the person.
5. *Record* one row in append-only `audit.erasures`: an erasure id, the kind of key, counts - never
   the address, a name or a hash of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from funnelhouse.core.personal import ERASED, ERASED_EMAIL_DOMAIN, is_personal_data
from funnelhouse.core.raw import META, SCHEMAS

KEY_KINDS = ("email", "salesforce_id", "hubspot_contact_id")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_OWN_TABLES = {"salesforce": ("lead", "contact"), "hubspot": ("contacts",)}

_DDL = """
create schema if not exists audit;
create table if not exists audit.erasures (
    id            bigserial primary key,
    erasure_id    text not null unique,
    trigger       text not null check (trigger in ('request', 'vanished')),
    key_kind      text not null,
    people        integer not null,
    records       jsonb not null default '{}',
    files_scrubbed integer not null default 0,
    rebuild       text,
    requested_at  timestamptz not null,
    recorded_at   timestamptz not null default now()
);
create or replace function audit.erasures_append_only() returns trigger language plpgsql as $$
begin raise exception 'audit.erasures is append-only'; end $$;
drop trigger if exists erasures_append_only on audit.erasures;
create trigger erasures_append_only before update or delete on audit.erasures
    for each row execute function audit.erasures_append_only();
"""


@dataclass
class Person:
    emails: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)  # names, full names, phones
    ids: dict[str, set[str]] = field(default_factory=lambda: {"salesforce": set(), "hubspot": set()})

    def empty(self) -> bool:
        return not (self.emails or self.texts or any(self.ids.values()))


@dataclass
class Erasure:
    erasure_id: str
    key_kind: str
    records: dict[str, int] = field(default_factory=dict)
    files_scrubbed: int = 0
    rebuild: str | None = None

    @property
    def redacted(self) -> int:
        return sum(self.records.values())


def _erased(value: str) -> bool:
    return value == ERASED or value.lower().endswith("@" + ERASED_EMAIL_DOMAIN)


def _raw_tables(conn: psycopg.Connection, source: str) -> list[str]:
    return [r[0] for r in conn.execute("select table_name from information_schema.tables where table_schema = %s "
                                       "and table_type = 'BASE TABLE' order by 1", (SCHEMAS[source],))]


def _props(source: str, record: dict[str, Any]) -> dict[str, Any]:
    return record.get("properties") or {} if source == "hubspot" else record


def find_person(conn: psycopg.Connection, key_kind: str, key: str,
                sources: tuple[str, ...] = ("salesforce", "hubspot")) -> Person:
    """Everything that identifies the person, over every version of their own records."""
    person = Person()
    if key_kind == "email":
        person.emails.add(key.strip().lower())
    else:
        person.ids["salesforce" if key_kind == "salesforce_id" else "hubspot"].add(key.strip())
    seen = -1
    while seen != (size := len(person.emails) + sum(map(len, person.ids.values()))):
        seen = size
        for source in sources:
            present = set(_raw_tables(conn, source))
            for table in (t for t in _OWN_TABLES[source] if t in present):
                for rid, record in _rows_mentioning(conn, SCHEMAS[source], table, person, source):
                    props = _props(source, record)
                    emails = {e.lower() for k, v in props.items() if isinstance(v, str) and "email" in k.lower()
                              for e in _EMAIL.findall(v)}
                    if rid not in person.ids[source] and not emails & person.emails:
                        continue
                    person.ids[source].add(rid)
                    person.emails |= {e for e in emails if not _erased(e)}
                    person.texts |= {v.strip() for k, v in props.items() if isinstance(v, str) and v.strip()
                                     and is_personal_data(k) and "email" not in k.lower() and not _erased(v)}
                    links = ("ConvertedContactId", "MasterRecordId") if source == "salesforce" else ()
                    person.ids[source] |= {props[k] for k in links if props.get(k)}
                    if source == "hubspot" and props.get("hs_merged_object_ids"):
                        person.ids[source] |= set(re.split(r"[;,\s]+", props["hs_merged_object_ids"])) - {""}
            if source == "hubspot" and "contact_merges" in present:
                for _rid, merge in _rows_mentioning(conn, SCHEMAS[source], "contact_merges", person, source):
                    pair = {str(merge.get("primaryId")), str(merge.get("mergedId"))}
                    if pair & person.ids["hubspot"] or str(merge.get("mergedEmail", "")).lower() in person.emails:
                        person.ids["hubspot"] |= pair - {"None"}
                        if merge.get("mergedEmail") and not _erased(merge["mergedEmail"]):
                            person.emails.add(merge["mergedEmail"].lower())
    return person


def _patterns(person: Person) -> list[str]:
    like = [f"%{_escape(e)}%" for e in person.emails]
    return like + [f'%"{_escape(i)}"%' for ids in person.ids.values() for i in ids]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rows_mentioning(conn: psycopg.Connection, schema: str, table: str, person: Person, source: str):
    patterns = _patterns(person)
    if not patterns:
        return []
    query = sql.SQL("select id, record from {}.{} where record::text ilike any(%s)").format(
        sql.Identifier(schema), sql.Identifier(table))
    return conn.execute(query, (patterns,)).fetchall()


class Redactor:
    """Rewrites one record: `own` records lose every personal key; every record loses the person's
    addresses, names and phones inside its text."""

    def __init__(self, person: Person) -> None:
        salt = secrets.token_hex(16)
        self.pseudonyms = {e: f"erased.{hashlib.sha256((salt + e).encode()).hexdigest()[:16]}@{ERASED_EMAIL_DOMAIN}"
                           for e in person.emails}
        self._salt = salt
        words = sorted(person.texts, key=len, reverse=True)
        self._texts = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in words), re.I) if words else None

    def pseudonym(self, email: str) -> str:
        email = email.lower()
        if email not in self.pseudonyms:
            digest = hashlib.sha256((self._salt + email).encode()).hexdigest()[:16]
            self.pseudonyms[email] = f"erased.{digest}@{ERASED_EMAIL_DOMAIN}"
        return self.pseudonyms[email]

    def text(self, value: str) -> str:
        out = _EMAIL.sub(lambda m: self.pseudonym(m.group()) if m.group().lower() in self.pseudonyms else m.group(),
                         value)
        return self._texts.sub(ERASED, out) if self._texts else out

    def __call__(self, value: Any, own: bool, key: str | None = None, personal: bool = False) -> Any:
        if isinstance(value, dict):
            return {k: self(v, own, k, personal or (own and is_personal_data(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, own, key, personal) for v in value]
        if not isinstance(value, str) or not value or _erased(value):
            return value
        if personal and (key is None or key == "value" or is_personal_data(key)):
            if _EMAIL.search(value):
                return _EMAIL.sub(lambda m: self.pseudonym(m.group()), value)
            return ERASED
        return self.text(value)


def redact(conn: psycopg.Connection, person: Person, sources: tuple[str, ...]) -> dict[str, int]:
    """Rewrite every raw version and rejected record holding the person's data; counts per table."""
    fix = Redactor(person)
    counts: dict[str, int] = {}
    for source in sources:
        schema = SCHEMAS[source]
        for table in _raw_tables(conn, source):
            own_table = table in _OWN_TABLES[source]
            changed = 0
            query = sql.SQL("select id, source_updated_at, record from {}.{} where record::text ilike any(%s)"
                            ).format(sql.Identifier(schema), sql.Identifier(table))
            for rid, at, record in conn.execute(query, (_patterns(person),)).fetchall():
                new = fix(record, own_table and rid in person.ids[source])
                if new != record:
                    conn.execute(sql.SQL("update {}.{} set record = %s, _extracted_at = now() "
                                         "where id = %s and source_updated_at = %s").format(
                        sql.Identifier(schema), sql.Identifier(table)), (json.dumps(new), rid, at))
                    changed += 1
            if changed:
                counts[f"{schema}.{table}"] = changed
    if conn.execute("select to_regclass(%s)", (f"{META}.rejected_records",)).fetchone()[0]:
        own_objects = {"salesforce": ("Lead", "Contact"), "hubspot": ("contacts",)}
        changed = 0
        for ctid, source, obj, rid, payload in conn.execute(
                "select ctid::text, source, object, record_id, payload from raw_meta.rejected_records "
                "where payload::text ilike any(%s)", (_patterns(person),)).fetchall():
            own = source in sources and obj in own_objects.get(source, ()) and rid in person.ids.get(source, ())
            new = fix(payload, own) if source in sources else payload
            if new != payload:
                conn.execute("update raw_meta.rejected_records set payload = %s where ctid = %s::tid",
                             (json.dumps(new), ctid))
                changed += 1
        if changed:
            counts[f"{META}.rejected_records"] = changed
    return counts


def scrub_files(state_dir: Path, person: Person, fix: Redactor | None = None) -> int:
    """Rewrite the files under the state folder (not the database's own data folder) that name the
    person: addresses and full names everywhere, single first / last names (whole words) in the
    files that held an address or a full name. Non-text files get same-length masks."""
    fix = fix or Redactor(person)
    emails = [e.lower() for e in person.emails]
    full = [t for t in person.texts if " " in t]
    pgdata = state_dir / "pg" / "pgdata"
    scrubbed = 0
    for path in (p for p in state_dir.rglob("*") if p.is_file() and pgdata not in p.parents):
        raw = path.read_bytes()
        low = raw.decode("utf-8", errors="replace").lower()
        if not any(n in low for n in emails) and not any(n.lower() in low for n in full):
            continue
        try:
            text = raw.decode("utf-8")
            path.write_text(fix.text(_mask_emails(text, emails, fix)), encoding="utf-8")
        except UnicodeDecodeError:
            data = raw
            for needle in sorted(set(emails) | person.texts, key=len, reverse=True):
                pattern = re.compile(re.escape(needle.encode()), re.I)
                data = pattern.sub(lambda m: b"*" * len(m.group()), data)
            path.write_bytes(data)
        scrubbed += 1
    return scrubbed


def _mask_emails(text: str, emails: list[str], fix: Redactor) -> str:
    for email in emails:
        text = re.sub(re.escape(email), fix.pseudonym(email), text, flags=re.I)
    return text


def ensure_audit(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('funnelhouse.audit.erasures'))")
        if conn.execute("select to_regclass('audit.erasures')").fetchone()[0] is None:
            conn.execute(_DDL)


def erase(dsn: str, key_kind: str, key: str, *, state_dir: Path | None = None, rebuild: bool = True,
          sources: tuple[str, ...] = ("salesforce", "hubspot"), trigger: str = "request") -> Erasure | None:
    """Erase one person; None when nothing of theirs is left to erase (no row written)."""
    if key_kind not in KEY_KINDS:
        raise ValueError(f"key kind {key_kind!r}: expected one of {', '.join(KEY_KINDS)}")
    result = Erasure(f"er-{secrets.token_hex(6)}", key_kind)
    with psycopg.connect(dsn) as conn:
        requested_at = conn.execute("select now()").fetchone()[0]
        person = find_person(conn, key_kind, key, sources)
        result.records = redact(conn, person, sources)
        if not result.records:
            conn.rollback()
            return None
        conn.commit()
    if rebuild:
        result.rebuild = rebuild_downstream(dsn, result.erasure_id, state_dir)
    if state_dir is not None:
        result.files_scrubbed = scrub_files(Path(state_dir), person)
    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_audit(conn)
        conn.execute("insert into audit.erasures (erasure_id, trigger, key_kind, people, records, files_scrubbed, "
                     "rebuild, requested_at) values (%s, %s, %s, 1, %s, %s, %s, %s)",
                     (result.erasure_id, trigger, key_kind, json.dumps(result.records), result.files_scrubbed,
                      result.rebuild, requested_at))
    return result


def rebuild_downstream(dsn: str, erasure_id: str, state_dir: Path | None) -> str:
    """Staging/intermediate rebuilt in place, the marts through write-audit-publish, then the previous
    publication (`marts__prev`, the old data) dropped. Returns the publication's decision."""
    from funnelhouse.publish import PREVIOUS_SCHEMA, build_validate_publish

    pub = build_validate_publish(dsn, f"erase-{erasure_id}", state_dir=state_dir, full_refresh=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS_SCHEMA)))
        if not pub.published:  # the unpublished shadow holds the erased data; the live marts the old
            conn.execute("drop schema if exists marts__next cascade")
    return f"{pub.decision}: {pub.reason}"


def vanished_contact_ids(dsn: str) -> list[str]:
    """HubSpot contacts whose latest version is a vanished-tombstone (GDPR delete) and whose older
    versions still hold personal data."""
    with psycopg.connect(dsn) as conn:
        if conn.execute("select to_regclass('raw_hubspot.contacts')").fetchone()[0] is None:
            return []
        return [r[0] for r in conn.execute(
            """select id from (select distinct on (id) id, is_deleted, record from raw_hubspot.contacts
                               order by id, source_updated_at desc) latest
               where is_deleted and record ? '_vanished'
                 and exists (select 1 from raw_hubspot.contacts v where v.id = latest.id
                             and coalesce(v.record->'properties'->>'email', '') not like %s
                             and coalesce(v.record->'properties'->>'email', '') <> '')
               order by id""", (f"%@{ERASED_EMAIL_DOMAIN}",))]


def erase_vanished(dsn: str, state_dir: Path | None = None) -> list[Erasure]:
    """FUNNELHOUSE_ERASE_VANISHED: erase every vanished HubSpot contact from the HubSpot raw layer
    (no rebuild: the rows are re-stamped, so the run's incremental models take them in)."""
    done = []
    for contact_id in vanished_contact_ids(dsn):
        result = erase(dsn, "hubspot_contact_id", contact_id, state_dir=state_dir, rebuild=False,
                       sources=("hubspot",), trigger="vanished")
        if result is not None:
            done.append(result)
    return done
