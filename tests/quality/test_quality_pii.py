"""No personal data in quality reports: invalid emails planted in raw and staging are reported by id
(or hash), and none of them appears in any `audit` row or any file of the run (Data Docs included)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from expectations.outcomes import pii_hash
from expectations.runner import validate
from expectations.specs import is_personal_data

PLANTED = {  # staging model -> (key, planted invalid email)
    "stg_hubspot__contacts": ("contact_id-2", "jane.planted.doe at example org"),
    "stg_salesforce__leads": ("lead_id-1", "john.planted@@example..com"),
    "stg_salesforce__users": ("user_id-3", "rep planted@example.com"),
}
RAW_EMAIL = "raw.planted.person@exa mple.com"


def _audit_dump(conn: psycopg.Connection) -> str:
    tables = [r[0] for r in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'audit'")]
    assert {"validation_runs", "expectation_results"} <= set(tables)
    return "\n".join(str(conn.execute(f'select string_agg(t::text, \' \') from audit."{t}" t').fetchone()[0])
                     for t in tables)


def test_planted_emails_are_reported_by_id_never_by_value(clean_dsn: str, state_dir: Path) -> None:
    with psycopg.connect(clean_dsn, autocommit=True) as conn:
        for model, (key, email) in PLANTED.items():
            key_column = key.rsplit("-", 1)[0]
            updated = conn.execute(f"update staging.{model} set email = %s where {key_column} = %s",
                                   (email, key)).rowcount
            assert updated == 1
        conn.execute("update raw_hubspot.contacts set record = jsonb_set(record, '{properties,email}', %s::jsonb)",
                     (f'"{RAW_EMAIL}"',))
    summary = validate(clean_dsn, "all", state_dir=state_dir)
    # the failures were found, and their samples name the offending rows by id
    for model, (key, _) in PLANTED.items():
        [failed] = [r for o in summary.outcomes if o.asset == f"staging.{model}" for r in o.results
                    if r.expectation_type == "expect_column_values_to_match_regex" and not r.success]
        assert failed.column == "email"
        assert {row.get(key.rsplit("-", 1)[0]) for row in failed.unexpected_sample} == {key}
        assert all(not is_personal_data(col) for row in failed.unexpected_sample for col in row)
    secrets = [email for _, email in PLANTED.values()] + [RAW_EMAIL]
    with psycopg.connect(clean_dsn) as conn:
        dump = _audit_dump(conn)
    assert "contact_id-2" in dump  # the ids are on record...
    for email in secrets:
        assert email not in dump  # ...the emails are not
    files = [p for p in state_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and summary.data_docs_index.is_file()
    for path in files:
        text = path.read_text(errors="replace")
        for email in secrets:
            assert email not in text, f"{email!r} in {path}"


def test_custom_sql_samples_hash_personal_data_columns() -> None:
    assert pii_hash("a@b.c") == pii_hash("a@b.c") != pii_hash("a@b.d")
    assert "a@b.c" not in pii_hash("a@b.c") and pii_hash(None) is None
    assert is_personal_data("Email") and is_personal_data("FirstName") and not is_personal_data("email_hash")
