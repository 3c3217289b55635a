"""Staging benchmark: wide Salesforce records (figures printed, never asserted).

  python benchmarks/bench_staging.py [--rows 70000] [--custom-fields 120] [--repeats 3] [--dsn URL]

Real Salesforce records carry every field `describe` lists, so with a few dozen custom fields a
record is several kB and PostgreSQL stores it compressed (out of line when still large); the
sandbox's records are small and mostly stored plain. This fills raw_salesforce.lead with `--rows`
leads of `--custom-fields` custom fields each (generated in SQL), builds stg_salesforce__leads with
dbt (full refresh: the model's time) and times its compiled SELECT as a CREATE TABLE AS twice: as
compiled (fields read from latest_version's `fields`, the record decompressed once per row) and
with every field read from the stored `record` instead (decompressed again for each field).

`--dsn` uses an existing PostgreSQL database; otherwise an embedded server under
.state/bench/staging is started (kept, so a second run reuses the loaded leads).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")

from benchmarks.database import bench_database, timed_ctas  # noqa: E402
from funnelhouse.dbt import run_dbt  # noqa: E402
from tests.support.raw import create_raw_tables  # noqa: E402

STATE = ROOT / ".state" / "bench" / "staging"
MODEL = "stg_salesforce__leads"

LEAD = """
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'Lead'), 'Id', id, 'FirstName', 'First' || g,
        'LastName', 'Last' || g, 'Email', 'lead' || g || '@example.com', 'Company', 'Company ' || (g % 5000),
        'Status', (array['Open - Not Contacted', 'Working - Contacted', 'MQL', 'SQL'])[1 + g % 4],
        'LeadSource', 'Web', 'OwnerId', '005' || (g % 40), 'Country', 'US', 'Title', 'VP Sales',
        'Phone', '+1 555 ' || g, 'Website', 'www.company' || (g % 5000) || '.com', 'Industry', 'Software',
        'NumberOfEmployees', 10 + g % 900, 'IsConverted', false, 'Region__c', 'NA', 'Segment__c', 'SMB',
        'CreatedDate', to_char(created, 'YYYY-MM-DD"T"HH24:MI:SS.MS"+0000"'),
        'LastModifiedDate', to_char(created, 'YYYY-MM-DD"T"HH24:MI:SS.MS"+0000"'),
        'SystemModstamp', to_char(created, 'YYYY-MM-DD"T"HH24:MI:SS.MS"+0000"'))"""


def load_leads(dsn: str, rows: int, custom_fields: int) -> None:
    """raw_salesforce.lead with `rows` leads of `custom_fields` custom fields (kept if already so)."""
    create_raw_tables(dsn)
    # jsonb_build_object takes at most 100 arguments: the custom fields go in objects of 40
    custom = " || ".join(
        "jsonb_build_object(" + ", ".join(f"'Custom_Field_{i}__c', md5(id || '{i}')"
                                          for i in range(start, min(start + 40, custom_fields))) + ")"
        for start in range(0, custom_fields, 40)
    ) or "'{}'::jsonb"
    with psycopg.connect(dsn, autocommit=True) as conn:
        loaded = conn.execute(
            "select count(*), coalesce(bool_and(record ? %s and not record ? %s), false) from raw_salesforce.lead",
            (f"Custom_Field_{custom_fields - 1}__c", f"Custom_Field_{custom_fields}__c")).fetchone()
        if loaded == (rows, True):
            return
        conn.execute("truncate raw_salesforce.lead")
        started = time.perf_counter()
        conn.execute(f"""
            insert into raw_salesforce.lead (id, source_updated_at, record, is_deleted, _extracted_at, _batch_id)
            select id, created, {LEAD} || {custom}, false, now(), 'bench'
            from (
                select g, '00Q' || lpad(g::text, 15, '0') as id,
                    timestamptz '2024-01-01' + g * interval '7 minutes' as created
                from generate_series(1, {rows}) as g
            ) as leads""")
        conn.execute("analyze raw_salesforce.lead")
        print(f"loaded {rows:,} leads with {custom_fields} custom fields: {time.perf_counter() - started:.1f}s",
              flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=70_000)
    parser.add_argument("--custom-fields", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    dsn = bench_database(args.dsn, STATE, "bench_staging")
    load_leads(dsn, args.rows, args.custom_fields)
    target = STATE / "target"

    model_times, compiled_times, record_times = [], [], []
    for _ in range(args.repeats):
        result = run_dbt(["run", "--select", MODEL, "--full-refresh", "--quiet"], dsn, target_dir=target)
        assert result.success, result.failures
        model_times.append(result.results[0]["execution_time"])
        compiled = next((target / "compiled").rglob(f"{MODEL}.sql")).read_text()
        compiled_times.append(timed_ctas(dsn, "staging_fields", compiled))
        record_times.append(timed_ctas(dsn, "staging_record", compiled.replace("fields->", "record->")))
    with psycopg.connect(dsn) as conn:
        # over TOAST_TUPLE_THRESHOLD (~2 kB) a record is compressed and, still large, moved out of line
        stored, text, toasted = conn.execute(
            "select avg(pg_column_size(record))::int, avg(octet_length(record::text))::int,"
            " avg((pg_column_size(record) > 2032)::int) from raw_salesforce.lead").fetchone()
    fields, record = min(compiled_times), min(record_times)
    print(f"{args.rows:,} leads, {args.custom_fields} custom fields: {text:,} bytes of JSON each, stored in"
          f" {stored:,} bytes ({toasted:.0%} over the ~2 kB TOAST threshold)")
    print(f"{MODEL}: dbt model {min(model_times):.2f}s; its SELECT as a CTAS {fields:.2f}s reading the"
          f" decompressed `fields`, {record:.2f}s reading `record` for every field -> {record / fields:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
