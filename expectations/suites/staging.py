"""Staging and intermediate: valid emails where present, stage values known to the mapping seeds,
no opportunity closed before it was created, row counts vs the previous run. One row per key is
dbt's test (the models' ymls), not repeated here (docs/quality.md, "Who checks what")."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.specs import SuiteDef, Target, rows, warning

# Deliberately simple: something@something.tld, no inner spaces. Surrounding whitespace is allowed:
# identity resolution normalises with lower(trim(email)) (docs/metrics.md). Junk is a warning, not a stop.
EMAIL_REGEX = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"

# model -> (key column(s), has an email column). A tuple key: one row per combination.
STAGING_MODELS: dict[str, tuple[str | tuple[str, ...], bool]] = {
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
    "stg_salesforce__lead_versions": (("lead_id", "source_updated_at"), False),
    "stg_hubspot__contacts": ("contact_id", True),
    "stg_hubspot__companies": ("company_id", False),
    "stg_hubspot__deals": ("deal_id", False),
    "stg_hubspot__line_items": ("line_item_id", False),
    "stg_hubspot__calls": ("call_id", False),
    "stg_hubspot__emails": ("email_id", False),
    "stg_hubspot__meetings": ("meeting_id", False),
    "stg_hubspot__owners": ("owner_id", True),
    "stg_hubspot__deal_pipelines": (("pipeline_id", "stage_id"), False),
    "stg_hubspot__associations": ("association_id", False),
    "stg_hubspot__contact_merges": ("merge_id", False),
    "stg_hubspot__marketing_events": ("marketing_event_id", False),
    "stg_hubspot__marketing_event_participations": ("participation_id", False),
}

# model -> (column, source_system, source_field) checked against seeds.funnel_stage_mapping
FUNNEL_STAGE_COLUMNS: dict[str, tuple[str, str, str]] = {
    "stg_salesforce__leads": ("status", "salesforce", "Lead.Status"),
    "stg_hubspot__contacts": ("lifecycle_stage", "hubspot", "lifecyclestage"),
}


def _staging_suite(model: str, key: str | tuple[str, ...], has_email: bool) -> SuiteDef:
    # Key not-null and uniqueness are dbt's (the staging ymls); GX keeps the cross-run and auditor checks.
    exps: list[gxe.Expectation] = []
    keys = (key,) if isinstance(key, str) else key
    key = keys[0]
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
        description=f"{model}: row count vs previous run" + (", valid emails" if has_email else "")
        + (", stage values known to the mapping seeds" if model in FUNNEL_STAGE_COLUMNS
           or model == "stg_salesforce__opportunities" else ""),
        targets=[Target("staging", model, keys)],
        expectations=exps,
    )


# intermediate model -> key column(s): one row per id
INTERMEDIATE_KEYS: dict[str, str | tuple[str, ...]] = {
    "int_companies": "company_id",
    "int_campaigns": "campaign_id",
    "int_touchpoints": "touchpoint_id",
    "int_activities": "activity_id",
    "int_opportunity_people": ("opportunity_id", "person_id"),
}


def _intermediate_suites() -> list[SuiteDef]:
    # Their keys (unique, not null) and int_person_stage_events' canonical stages (accepted_values)
    # are dbt's tests; these suites keep the cross-run row-count band per model.
    keyed = [
        SuiteDef(name=f"intermediate_{model}", layer="staging", group="intermediate",
                 description=f"{model}: row count vs previous run (its key is tested by dbt).",
                 targets=[Target("intermediate", model, (key,) if isinstance(key, str) else key)],
                 expectations=[])
        for model, key in {**INTERMEDIATE_KEYS, "int_people": "person_id",
                           "int_person_stage_events": ("person_id", "stage")}.items()
    ]
    return keyed + [
        SuiteDef(
            name="intermediate_int_opportunities", layer="staging", group="intermediate",
            description="Unified opportunities: none closed before created.",
            targets=[Target("intermediate", "int_opportunities", ("opportunity_id",))],
            expectations=[
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
