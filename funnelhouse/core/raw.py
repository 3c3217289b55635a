"""The raw layer's contract (docs/CONTRACTS.md pins the shapes): the sources and the objects each
extracts, the raw table of each object, the raw columns and DDL, and the bookkeeping schema
`raw_meta`. Extractors write it, dbt sources and the quality suites read it, tests build it; all
of them take it from here.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from funnelhouse.core.settings import extra_objects

# In extraction order: referenced objects before the ones that point at them.
SALESFORCE_OBJECTS = (
    "CurrencyType", "DatedConversionRate",
    "UserRole", "User", "Account", "Product2", "Campaign", "Lead", "Contact", "Opportunity",
    "OpportunityHistory", "OpportunityContactRole", "OpportunityLineItem", "CampaignMember", "LeadHistory",
    "Task", "Event",
)
HUBSPOT_OBJECTS = (
    "owners", "deal_pipelines", "companies", "contacts", "deals", "line_items", "calls", "emails", "meetings",
    "associations", "contact_merges", "object_merges", "marketing_events", "marketing_event_participations",
)
#: objects only some orgs have (multi-currency / advanced currency management): extracted when
#: describe knows them, skipped (no raw rows, staging reads an empty relation) when it answers 404
OPTIONAL_OBJECTS: dict[str, frozenset[str]] = {"salesforce": frozenset({"CurrencyType", "DatedConversionRate"}),
                                               "hubspot": frozenset()}
#: the standard fields the dbt staging models read per Salesforce object (`fields->>'X'`): the
#: permission check at the start of a run compares describe with these, since a field the integration
#: user cannot see is simply absent (tests/test_core.py keeps the list and the models in step; custom
#: `__c` fields and CurrencyIsoCode are org-specific and left out)
SALESFORCE_MART_FIELDS: dict[str, tuple[str, ...]] = {
    "CurrencyType": (
        "ConversionRate", "IsActive", "IsCorporate", "IsoCode",
    ),
    "DatedConversionRate": (
        "ConversionRate", "IsoCode", "NextStartDate", "StartDate",
    ),
    "UserRole": (
        "DeveloperName", "LastModifiedDate", "Name", "ParentRoleId", "RollupDescription", "SystemModstamp",
    ),
    "User": (
        "CreatedDate", "Department", "Email", "IsActive", "LastModifiedDate", "ManagerId", "Name",
        "SystemModstamp", "Title", "UserRoleId", "Username",
    ),
    "Account": (
        "AnnualRevenue", "BillingCountry", "CreatedDate", "Industry", "LastModifiedDate", "Name",
        "NumberOfEmployees", "OwnerId", "SystemModstamp", "Type", "Website",
    ),
    "Product2": (
        "CreatedDate", "Family", "IsActive", "Name", "ProductCode", "SystemModstamp",
    ),
    "Campaign": (
        "ActualCost", "BudgetedCost", "CreatedDate", "EndDate", "ExpectedRevenue", "IsActive",
        "LastModifiedDate", "Name", "NumberSent", "OwnerId", "ParentId", "StartDate", "Status",
        "SystemModstamp", "Type",
    ),
    "Lead": (
        "Company", "ConvertedAccountId", "ConvertedContactId", "ConvertedDate", "ConvertedOpportunityId",
        "Country", "CreatedDate", "Email", "FirstName", "Industry", "IsConverted", "LastModifiedDate",
        "LastName", "LeadSource", "MasterRecordId", "NumberOfEmployees", "OwnerId", "Phone", "Status",
        "SystemModstamp", "Title", "Website",
    ),
    "Contact": (
        "AccountId", "CreatedDate", "Email", "FirstName", "LastModifiedDate", "LastName", "LeadSource",
        "MailingCountry", "MasterRecordId", "OwnerId", "Phone", "SystemModstamp", "Title",
    ),
    "Opportunity": (
        "AccountId", "Amount", "CampaignId", "CloseDate", "ContactId", "CreatedDate", "ExpectedRevenue",
        "ForecastCategoryName", "IsClosed", "IsWon", "LastModifiedDate", "LeadSource", "Name", "OwnerId",
        "Probability", "StageName", "SystemModstamp", "Type",
    ),
    "OpportunityHistory": (
        "Amount", "CloseDate", "CreatedById", "CreatedDate", "ForecastCategory", "OpportunityId",
        "Probability", "StageName", "SystemModstamp",
    ),
    "OpportunityContactRole": (
        "ContactId", "CreatedDate", "IsPrimary", "OpportunityId", "Role", "SystemModstamp",
    ),
    "OpportunityLineItem": (
        "CreatedDate", "ListPrice", "Name", "OpportunityId", "PricebookEntryId", "Product2Id", "ProductCode",
        "Quantity", "ServiceDate", "SystemModstamp", "TotalPrice", "UnitPrice",
    ),
    "CampaignMember": (
        "CampaignId", "ContactId", "CreatedDate", "FirstRespondedDate", "HasResponded", "LastModifiedDate",
        "LeadId", "LeadOrContactId", "Status", "SystemModstamp",
    ),
    "LeadHistory": (
        "CreatedById", "CreatedDate", "DataType", "Field", "LeadId", "NewValue", "OldValue",
    ),
    "Task": (
        "AccountId", "ActivityDate", "CallDisposition", "CallDurationInSeconds", "CallType", "CreatedDate",
        "IsArchived", "IsClosed", "LastModifiedDate", "OwnerId", "Priority", "Status", "Subject",
        "SystemModstamp", "TaskSubtype", "Type", "WhatId", "WhoId",
    ),
    "Event": (
        "AccountId", "ActivityDate", "ActivityDateTime", "CreatedDate", "DurationInMinutes", "EndDateTime",
        "EventSubtype", "IsAllDayEvent", "IsArchived", "LastModifiedDate", "OwnerId", "StartDateTime",
        "Subject", "SystemModstamp", "Type", "WhatId", "WhoId",
    ),
}
SOURCES: dict[str, tuple[str, ...]] = {"salesforce": SALESFORCE_OBJECTS, "hubspot": HUBSPOT_OBJECTS}
SCHEMAS = {"salesforce": "raw_salesforce", "hubspot": "raw_hubspot"}
META = "raw_meta"
# One lock id for all DDL: parallel DAG tasks creating schemas at the same moment would otherwise
# collide on PostgreSQL's catalog unique indexes.
_DDL_LOCK = 7_214_003_001

RAW_COLUMNS = ("id", "source_updated_at", "record", "is_deleted", "_extracted_at", "_batch_id")

META_DDL = """
create table if not exists raw_meta.sync_state (
    source      text not null,
    object      text not null,
    watermark   timestamptz,
    last_id     text,
    cursor      jsonb,
    reconciled_at timestamptz,
    updated_at  timestamptz not null default now(),
    primary key (source, object)
);
create table if not exists raw_meta.sync_runs (
    batch_id     text primary key,
    run_id       text not null,
    source       text not null,
    object       text not null,
    mode         text not null,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    outcome      text not null,
    rows         bigint not null default 0,
    versions_new bigint not null default 0,
    pages        bigint not null default 0,
    api_calls    bigint not null default 0,
    retries      bigint not null default 0,
    rejected     bigint not null default 0,
    tombstones   bigint not null default 0,
    bytes        bigint not null default 0,
    seconds      double precision not null default 0,
    watermark_before timestamptz,
    watermark_after  timestamptz,
    error        text,
    warning      text
);
-- added after the first release: warehouses created before it get the column here
alter table raw_meta.sync_runs add column if not exists warning text;
create index if not exists sync_runs_object on raw_meta.sync_runs (source, object, started_at);
create table if not exists raw_meta.rejected_records (
    source      text not null,
    object      text not null,
    record_id   text,
    reason      text not null,
    payload     jsonb,
    _batch_id   text not null,
    rejected_at timestamptz not null default now()
);
create unique index if not exists rejected_records_once on raw_meta.rejected_records
    (source, object, coalesce(record_id, ''), reason, md5(coalesce(payload::text, '')));
-- the Salesforce integration user's permission check, shared by every process of one org login for
-- SALESFORCE_PERMISSION_CHECK_HOURS (extractors/salesforce/access.py); principal = sha256 of url + user
create table if not exists raw_meta.access_checks (
    principal   text primary key,
    finding     text not null,
    checked_at  timestamptz not null
);
-- request slots shared by every process using one API token (extractors/engine/shared_limit.py):
-- the earliest time the bucket's next request may be sent
create table if not exists raw_meta.rate_slots (
    bucket      text primary key,
    next_at     timestamptz not null
);
"""


def objects(source: str) -> tuple[str, ...]:
    """The objects one source extracts, in extraction order: the built-in ones, then the extra objects
    the deployment names (SALESFORCE_EXTRA_OBJECTS / HUBSPOT_EXTRA_OBJECTS, read at call time)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    built_in = SOURCES[source]
    return built_in + tuple(o for o in extra_objects(source) if o not in built_in)


def table_name(object_name: str) -> str:
    """snake_case of the API object name: OpportunityContactRole -> opportunity_contact_role.
    HubSpot's object names are already their table names; an extra HubSpot object named by its type id
    (`2-4000001`) gets `custom_2_4000001` (an unquoted SQL name cannot start with a digit)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", object_name):
        name = re.sub(r"[^a-z0-9_]", "_", object_name.lower())
        return name if name[:1].isalpha() else f"custom_{name}"
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", object_name.removesuffix("__c"))
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)
    return name.lower() + ("__c" if object_name.endswith("__c") else "")


def tables(source: str) -> tuple[str, ...]:
    """The raw tables of one source (`raw_<source>.<table>`), one per object."""
    return tuple(table_name(o) for o in objects(source))


def raw_table(source: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMAS[source]), sql.Identifier(table))


def ensure_meta(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        conn.execute(f"create schema if not exists {META}")
        conn.execute(META_DDL)


def raw_table_ddl(source: str, table: str) -> sql.Composed:
    """`create table if not exists` for one raw table: every version of every record, keyed by
    (id, source_updated_at)."""
    return sql.SQL(
        """create table if not exists {} (
            id                text        not null,
            source_updated_at timestamptz not null,
            record            jsonb       not null,
            is_deleted        boolean     not null,
            _extracted_at     timestamptz not null,
            _batch_id         text        not null,
            primary key (id, source_updated_at)
        )"""
    ).format(raw_table(source, table))


def ensure_raw_table(conn: psycopg.Connection, source: str, table: str) -> None:
    ddl = raw_table_ddl(source, table)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMAS[source])))
        conn.execute(ddl)
