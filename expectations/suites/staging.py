"""Staging and intermediate: one current row per id, valid emails where present, stage values
known to the mapping seeds, no opportunity closed before it was created."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.specs import SuiteDef, Target, critical, rows, warning

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
CANONICAL_STAGES = ["lead", "mql", "sql", "opportunity", "customer"]


def key_expectations(key: str | tuple[str, ...], what: str = "one current row per") -> list[gxe.Expectation]:
    keys = (key,) if isinstance(key, str) else key
    exps = [critical(gxe.ExpectColumnValuesToNotBeNull(column=k), f"every row has its {k}") for k in keys]
    if len(keys) == 1:
        exps.append(critical(gxe.ExpectColumnValuesToBeUnique(column=keys[0]), f"{what} {keys[0]}"))
    else:
        exps.append(critical(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(keys)),
                             f"{what} ({', '.join(keys)})"))
    return exps


def _staging_suite(model: str, key: str | tuple[str, ...], has_email: bool) -> SuiteDef:
    exps: list[gxe.Expectation] = key_expectations(key)
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
        description=f"{model}: one current row per id" + (", valid emails" if has_email else ""),
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
    keyed = [
        SuiteDef(name=f"intermediate_{model}", layer="staging", group="intermediate",
                 description=f"{model}: one row per key.",
                 targets=[Target("intermediate", model, (key,) if isinstance(key, str) else key)],
                 expectations=key_expectations(key, "one row per"))
        for model, key in INTERMEDIATE_KEYS.items()
    ]
    return keyed + [
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
