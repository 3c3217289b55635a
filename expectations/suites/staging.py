"""Staging and intermediate: one current row per id, valid emails where present, stage values
known to the mapping seeds, no opportunity closed before it was created."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.specs import SuiteDef, Target, critical, rows, warning

# Deliberately simple: something@something.tld, no spaces. Real-world junk is a warning, not a stop.
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# model -> (key column, has an email column)
STAGING_MODELS: dict[str, tuple[str, bool]] = {
    "stg_salesforce__leads": ("lead_id", True),
    "stg_salesforce__contacts": ("contact_id", True),
    "stg_salesforce__accounts": ("account_id", False),
    "stg_salesforce__opportunities": ("opportunity_id", False),
    "stg_salesforce__opportunity_history": ("opportunity_history_id", False),
    "stg_salesforce__opportunity_contact_roles": ("opportunity_contact_role_id", False),
    "stg_salesforce__opportunity_line_items": ("opportunity_line_item_id", False),
    "stg_salesforce__products": ("product_id", False),
    "stg_salesforce__campaigns": ("campaign_id", False),
    "stg_salesforce__campaign_members": ("campaign_member_id", False),
    "stg_salesforce__lead_history": ("lead_history_id", False),
    "stg_salesforce__tasks": ("task_id", False),
    "stg_salesforce__events": ("event_id", False),
    "stg_salesforce__users": ("user_id", True),
    "stg_salesforce__user_roles": ("user_role_id", False),
    "stg_hubspot__contacts": ("contact_id", True),
    "stg_hubspot__companies": ("company_id", False),
    "stg_hubspot__deals": ("deal_id", False),
    "stg_hubspot__line_items": ("line_item_id", False),
    "stg_hubspot__calls": ("call_id", False),
    "stg_hubspot__emails": ("email_id", False),
    "stg_hubspot__meetings": ("meeting_id", False),
    "stg_hubspot__owners": ("owner_id", True),
    "stg_hubspot__deal_pipelines": ("pipeline_id", False),
}

# model -> (column, source_system, source_field) checked against seeds.funnel_stage_mapping
FUNNEL_STAGE_COLUMNS: dict[str, tuple[str, str, str]] = {
    "stg_salesforce__leads": ("status", "salesforce", "Lead.Status"),
    "stg_hubspot__contacts": ("lifecycle_stage", "hubspot", "lifecyclestage"),
}
CANONICAL_STAGES = ["lead", "mql", "sql", "opportunity", "customer"]


def _staging_suite(model: str, key: str, has_email: bool) -> SuiteDef:
    exps: list[gxe.Expectation] = [
        critical(gxe.ExpectColumnValuesToNotBeNull(column=key), f"every row has its id ({key})"),
        critical(gxe.ExpectColumnValuesToBeUnique(column=key), f"one current row per {key}"),
    ]
    if has_email:
        exps.append(warning(gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX),
                            "emails, where present, look like emails"))
    if model in FUNNEL_STAGE_COLUMNS:
        col, system, field = FUNNEL_STAGE_COLUMNS[model]
        exps.append(rows(
            f"""select {key}, {col} from {{batch}}
                where {col} is not null and {col} <> ''
                  and {col} not in (select source_value from seeds.funnel_stage_mapping
                                    where source_system = '{system}' and source_field = '{field}')""",
            f"every {field} value is in seeds.funnel_stage_mapping (else the person silently "
            "drops out of the funnel)",
        ))
    if model == "stg_salesforce__opportunities":
        exps.append(rows(
            """select opportunity_id, stage_name from {batch}
               where stage_name is not null
                 and stage_name not in (select stage from seeds.opportunity_stage_mapping
                                        where source_system = 'salesforce')""",
            "every opportunity StageName is in seeds.opportunity_stage_mapping",
        ))
    return SuiteDef(
        name=f"staging_{model}", layer="staging", group="staging",
        description=f"{model}: one current row per id" + (", valid emails" if has_email else ""),
        targets=[Target("staging", model, (key,))],
        expectations=exps,
    )


def _intermediate_suites() -> list[SuiteDef]:
    return [
        SuiteDef(
            name="intermediate_int_people", layer="staging", group="intermediate",
            description="Unified people: one row per person.",
            targets=[Target("intermediate", "int_people", ("person_id",))],
            expectations=[
                critical(gxe.ExpectColumnValuesToNotBeNull(column="person_id"), "every person has an id"),
                critical(gxe.ExpectColumnValuesToBeUnique(column="person_id"), "one row per person"),
            ],
        ),
        SuiteDef(
            name="intermediate_int_person_stage_events", layer="staging", group="intermediate",
            description="Person stage events: canonical stages only.",
            targets=[Target("intermediate", "int_person_stage_events", ("person_id", "stage"))],
            expectations=[
                critical(gxe.ExpectColumnValuesToBeInSet(column="stage", value_set=CANONICAL_STAGES),
                         "stage events carry canonical stages only (mapped through the seed)"),
            ],
        ),
        SuiteDef(
            name="intermediate_int_opportunities", layer="staging", group="intermediate",
            description="Unified opportunities: one row per opportunity, none closed before created.",
            targets=[Target("intermediate", "int_opportunities", ("opportunity_id",))],
            expectations=[
                critical(gxe.ExpectColumnValuesToNotBeNull(column="opportunity_id"),
                         "every opportunity has an id"),
                critical(gxe.ExpectColumnValuesToBeUnique(column="opportunity_id"), "one row per opportunity"),
                rows(
                    """select opportunity_id, created_at, closed_at from {batch}
                       where closed_at is not null and closed_at::date < created_at::date""",
                    "no opportunity is closed before the day it was created",
                ),
            ],
        ),
    ]


def suites() -> list[SuiteDef]:
    return [_staging_suite(m, k, e) for m, (k, e) in STAGING_MODELS.items()] + _intermediate_suites()
