"""Raw layer: every raw table (keys, uniqueness of versions, timestamps), and the sync bookkeeping
in raw_meta (freshness of the last successful sync per object, share of rejected records)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.specs import SuiteDef, Target, critical, rows, warning
from funnelhouse.core.raw import RAW_COLUMNS

# docs/CONTRACTS.md: one table per source object.
SALESFORCE_TABLES = (
    "lead", "contact", "account", "opportunity", "opportunity_history", "opportunity_contact_role",
    "opportunity_line_item", "product2", "campaign", "campaign_member", "lead_history", "task", "event",
    "user", "user_role",
)
HUBSPOT_TABLES = (
    "contacts", "companies", "deals", "line_items", "calls", "emails", "meetings", "owners",
    "deal_pipelines", "associations", "marketing_event_participations", "contact_merges",
)

# Tunables (documented in docs/quality.md).
FUTURE_TOLERANCE = "1 hour"          # clock skew allowed before a timestamp counts as 'in the future'
FRESHNESS_MAX_HOURS = 24             # last successful sync of an object older than this -> warning
REJECTED_SHARE_WARN = 0.01           # share of rejected records over the last 7 days
REJECTED_SHARE_CRITICAL = 0.05
ISO_TS = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"
# GX fills `{batch}` with str.format, so literal braces in the SQL are doubled.
_ISO_TS_SQL = ISO_TS.replace("{", "{{").replace("}", "}}")


def _record_timestamp_checks(fields: tuple[str, ...]) -> list[gxe.Expectation]:
    """The API's own system timestamps inside `record` parse as ISO-8601 and are not in the future."""
    unparseable = " or ".join(
        f"(record->>'{f}' is not null and record->>'{f}' !~ '{_ISO_TS_SQL}')" for f in fields
    )
    future = " or ".join(
        f"(record->>'{f}' ~ '{_ISO_TS_SQL}' and (record->>'{f}')::timestamptz > now() + interval '{FUTURE_TOLERANCE}')"
        for f in fields
    )
    return [
        rows(f"select id, source_updated_at from {{batch}} where {unparseable}",
             f"system timestamps in the record ({', '.join(fields)}) parse as ISO-8601"),
        rows(f"select id, source_updated_at from {{batch}} where {future}",
             f"system timestamps in the record ({', '.join(fields)}) are not in the future"),
    ]


def _raw_table_expectations(record_fields: tuple[str, ...]) -> list[gxe.Expectation]:
    exps: list[gxe.Expectation] = [
        critical(gxe.ExpectTableColumnsToMatchSet(column_set=list(RAW_COLUMNS), exact_match=False),
                 "the raw-layer contract columns are present"),
    ]
    exps += [
        critical(gxe.ExpectColumnValuesToNotBeNull(column=col), f"required key column {col} is present")
        for col in RAW_COLUMNS
    ]
    exps += [
        critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "source_updated_at"]),
                 "each (id, source_updated_at) version is stored once"),
        rows(
            f"""select id, source_updated_at from {{batch}}
                where source_updated_at > now() + interval '{FUTURE_TOLERANCE}'
                   or _extracted_at > now() + interval '{FUTURE_TOLERANCE}'""",
            "source_updated_at and _extracted_at are not in the future",
        ),
    ]
    return exps + _record_timestamp_checks(record_fields)


# A GX query asset must start with SELECT, hence the outer select around the CTEs.
SYNC_HEALTH_SQL = """
select * from (
with objects as (
    select source, object from raw_meta.sync_state
    union
    select source, object from raw_meta.sync_runs
),
runs as (
    select source, object,
           max(finished_at) filter (where outcome = 'success') as last_success_at,
           (array_agg(outcome order by started_at desc))[1] as last_outcome,
           (array_agg(warning order by started_at desc))[1] as last_warning,
           coalesce(sum(rows) filter (where started_at > now() - interval '7 days'), 0) as rows_7d,
           coalesce(sum(rejected) filter (where started_at > now() - interval '7 days'), 0) as rejected_7d
    from raw_meta.sync_runs
    group by source, object
)
select o.source || '.' || o.object as source_object,
       r.last_success_at,
       r.last_outcome,
       r.last_warning,
       extract(epoch from now() - r.last_success_at) / 3600.0 as hours_since_success,
       coalesce(r.rows_7d, 0) as rows_7d,
       coalesce(r.rejected_7d, 0) as rejected_7d,
       coalesce(r.rejected_7d, 0)::float8 / greatest(coalesce(r.rows_7d, 0), coalesce(r.rejected_7d, 0), 1)
           as rejected_share
from objects o left join runs r using (source, object)
) sync_health
"""


def suites() -> list[SuiteDef]:
    return [
        SuiteDef(
            name="raw_salesforce",
            layer="raw", group="raw",
            description="Every raw_salesforce table: contract columns, keys, unique versions, timestamps.",
            expectations=_raw_table_expectations(("CreatedDate", "LastModifiedDate", "SystemModstamp")),
            discover_schema="raw_salesforce", discover_id_columns=("id",),
            expected_tables=SALESFORCE_TABLES,
        ),
        SuiteDef(
            name="raw_hubspot",
            layer="raw", group="raw",
            description="Every raw_hubspot table: contract columns, keys, unique versions, timestamps.",
            expectations=_raw_table_expectations(("createdAt", "updatedAt")),
            discover_schema="raw_hubspot", discover_id_columns=("id",),
            expected_tables=HUBSPOT_TABLES,
        ),
        SuiteDef(
            name="raw_meta_sync_health",
            layer="raw", group="raw_meta",
            description="Per source object: freshness of the last successful sync, rejected-record share.",
            targets=[Target("raw_meta", "raw_meta_sync_health", ("source_object",), query=SYNC_HEALTH_SQL)],
            row_count_band=False,
            expectations=[
                warning(gxe.ExpectColumnValuesToNotBeNull(column="last_success_at"),
                        "every object has had at least one successful sync"),
                warning(gxe.ExpectColumnValuesToBeBetween(column="hours_since_success", min_value=0,
                                                          max_value=FRESHNESS_MAX_HOURS),
                        f"the last successful sync of every object is under {FRESHNESS_MAX_HOURS} h old"),
                warning(gxe.ExpectColumnValuesToNotBeInSet(column="last_outcome", value_set=["failed"]),
                        "the latest sync run of every object did not fail"),
                warning(gxe.ExpectColumnValuesToBeNull(column="last_warning"),
                        "the latest sync run of every object reported no warning (e.g. an integration user "
                        "without View All Data or with fields hidden by field-level security: "
                        "raw_meta.sync_runs.warning names them)"),
                warning(gxe.ExpectColumnValuesToBeBetween(column="rejected_share", min_value=0,
                                                          max_value=REJECTED_SHARE_WARN),
                        f"rejected records are under {REJECTED_SHARE_WARN:.0%} of records read (7 days)"),
                critical(gxe.ExpectColumnValuesToBeBetween(column="rejected_share", min_value=0,
                                                           max_value=REJECTED_SHARE_CRITICAL),
                         f"rejected records are under {REJECTED_SHARE_CRITICAL:.0%} of records read (7 days)"),
            ],
        ),
    ]
