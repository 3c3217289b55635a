{#-
    Every state an opportunity / deal was in, as the CRM showed it: one row per interval
    [valid_from, valid_to) in which neither its extracted version nor its stage changed. Fields come
    from the version valid then (int_opportunity_versions); the stage from stage history (Salesforce
    OpportunityHistory, HubSpot `dealstage` history, deleted and merged-away records included, so a later
    delete never rewrites the past), else the version's own stage. is_closed / is_won follow the stage
    (int_opportunity_stages; the version's flags for a stage it does not know). probability is the
    version's when its stage is the state's, else the stage's default probability. amount_corporate
    converts like int_opportunities (METRICS "Money"): Salesforce at the dated rate in force on the
    state's close date, else the current rate; HubSpot amount_in_home_currency when the portal's home
    currency is the corporate one, else the current rate. exists = not deleted / archived / merged away.
-#}

with versions as (

    select * from {{ ref('int_opportunity_versions') }}

),

stg_salesforce__opportunity_history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

stg_hubspot__deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

stages as (

    select * from {{ ref('int_opportunity_stages') }}

),

owners as (

    select * from {{ ref('int_owners') }}

),

rates as (

    select * from {{ ref('int_currency_rates') }}

),

history_rows as (

    select
        opportunity_id,
        stage_name as stage_id,
        created_at as entered_at,
        opportunity_history_id as row_key
    from stg_salesforce__opportunity_history
    where stage_name is not null and opportunity_id is not null and created_at is not null

    union all

    select
        stg_hubspot__deals.deal_id as opportunity_id,
        change->>'value' as stage_id,
        {{ to_ts("change->>'timestamp'") }} as entered_at,
        lpad(ordinality::text, 6, '0') as row_key
    from stg_hubspot__deals
    cross join lateral jsonb_array_elements(
        coalesce(stg_hubspot__deals.record->'propertiesWithHistory'->'dealstage', '[]'::jsonb)
    ) with ordinality as history(change, ordinality)
    where nullif(change->>'value', '') is not null

),

stints as (

    select
        opportunity_id,
        stage_id,
        entered_at,
        lead(entered_at) over (partition by opportunity_id order by entered_at, row_key) as exited_at
    from history_rows

),

first_versions as (

    select opportunity_id, valid_from as first_valid_from
    from versions
    where version_index = 1

),

change_points as (

    select opportunity_id, valid_from as changed_at
    from versions

    union

    select stints.opportunity_id, stints.entered_at
    from stints
    inner join first_versions on stints.opportunity_id = first_versions.opportunity_id
    where stints.entered_at > first_versions.first_valid_from

),

segments as (

    select
        opportunity_id,
        changed_at as valid_from,
        lead(changed_at) over (partition by opportunity_id order by changed_at) as valid_to
    from change_points

),

joined as (

    select
        segments.opportunity_id,
        segments.valid_from,
        segments.valid_to,
        versions.source_system,
        versions.created_at,
        versions.is_deleted,
        versions.pipeline_id,
        versions.stage_id as version_stage_id,
        coalesce(stints.stage_id, versions.stage_id) as stage_id,
        versions.source_owner_id,
        versions.amount,
        versions.amount_in_home_currency,
        versions.currency,
        versions.probability as version_probability,
        versions.close_date,
        versions.is_closed as version_is_closed,
        versions.is_won as version_is_won
    from segments
    inner join versions
        on segments.opportunity_id = versions.opportunity_id
        and versions.valid_from <= segments.valid_from
        and (versions.valid_to is null or segments.valid_from < versions.valid_to)
    left join stints
        on segments.opportunity_id = stints.opportunity_id
        and stints.entered_at <= segments.valid_from
        and (stints.exited_at is null or segments.valid_from < stints.exited_at)

),

typed as (

    select
        joined.*,
        coalesce(stages.stage, joined.stage_id) as stage_label,
        coalesce(stages.is_closed,
                 case when joined.stage_id = joined.version_stage_id then joined.version_is_closed end,
                 false) as is_closed,
        coalesce(stages.is_won,
                 case when joined.stage_id = joined.version_stage_id then joined.version_is_won end,
                 false) as is_won,
        case
            when joined.stage_id = joined.version_stage_id
                then coalesce(joined.version_probability, stages.default_probability)
            else coalesce(stages.default_probability, joined.version_probability)
        end as probability
    from joined
    left join stages
        on joined.source_system = stages.source_system
        and joined.pipeline_id = stages.pipeline_id
        and joined.stage_id = stages.stage_id

),

final as (

    select
        typed.opportunity_id,
        typed.source_system,
        typed.valid_from,
        typed.valid_to,
        typed.created_at,
        not typed.is_deleted as is_existing,
        not typed.is_deleted and not typed.is_closed as is_open,
        typed.stage_id as stage,
        typed.stage_label,
        typed.pipeline_id as pipeline,
        typed.is_closed,
        typed.is_won and typed.is_closed as is_won,
        typed.amount,
        typed.currency,
        case
            when typed.source_system = 'hubspot'
                and upper('{{ var("hubspot_home_currency") or var("corporate_currency") }}') = upper('{{ var("corporate_currency") }}')
                and typed.amount_in_home_currency is not null
                then typed.amount_in_home_currency
            else typed.amount * coalesce(dated.corporate_per_unit, current_rates.corporate_per_unit)
        end as amount_corporate,
        typed.probability,
        typed.close_date,
        coalesce(owners.owner_id, typed.source_owner_id) as owner_id
    from typed
    left join rates as dated
        on typed.source_system = 'salesforce'
        and dated.rate_kind = 'dated'
        and typed.currency = dated.currency
        and typed.close_date >= dated.valid_from
        and (typed.close_date < dated.valid_to or dated.valid_to is null)
    left join rates as current_rates
        on current_rates.rate_kind = 'current'
        and typed.currency = current_rates.currency
    left join owners
        on typed.source_system = owners.source_system
        and typed.source_owner_id = owners.source_owner_id

)

select * from final
