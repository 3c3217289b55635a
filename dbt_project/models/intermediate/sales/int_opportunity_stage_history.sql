{#-
    One row per stint of an opportunity in a stage: Salesforce OpportunityHistory rows and HubSpot
    `dealstage` property history, ordered by time, with consecutive identical stages collapsed (a
    row that only changed amount or close date does not start a new stint). `exited_at` is the start
    of the next stint (null for the current one).
-#}

with stg_salesforce__opportunity_history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

stg_salesforce__opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

stg_hubspot__deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

stages as (

    select * from {{ ref('int_opportunity_stages') }}

),

sf_history as (

    select * from stg_salesforce__opportunity_history
    where not is_deleted

),

sf_opportunities as (

    select opportunity_id from stg_salesforce__opportunities
    where not is_deleted

),

hs_deals as (

    select * from stg_hubspot__deals
    where not is_deleted

),

sf_rows as (

    select
        sf_history.opportunity_id,
        'salesforce' as source_system,
        'salesforce' as pipeline_id,
        sf_history.stage_name as stage_id,
        sf_history.created_at as changed_at,
        sf_history.opportunity_history_id as row_key
    from sf_history
    inner join sf_opportunities on sf_history.opportunity_id = sf_opportunities.opportunity_id
    where sf_history.stage_name is not null

),

hs_rows as (

    select
        hs_deals.deal_id as opportunity_id,
        'hubspot' as source_system,
        hs_deals.pipeline_id,
        change->>'value' as stage_id,
        {{ to_ts("change->>'timestamp'") }} as changed_at,
        lpad(ordinality::text, 6, '0') as row_key
    from hs_deals
    cross join lateral jsonb_array_elements(
        coalesce(hs_deals.record->'propertiesWithHistory'->'dealstage', '[]'::jsonb)
    ) with ordinality as history(change, ordinality)
    where nullif(change->>'value', '') is not null

),

all_rows as (

    select * from sf_rows
    union all
    select * from hs_rows

),

flagged as (

    select
        *,
        lag(stage_id) over (partition by opportunity_id order by changed_at, row_key) as previous_stage_id
    from all_rows

),

stints as (

    select
        opportunity_id,
        source_system,
        pipeline_id,
        stage_id,
        changed_at as entered_at,
        row_key
    from flagged
    where previous_stage_id is null or previous_stage_id <> stage_id

),

final as (

    select
        stints.opportunity_id,
        stints.source_system,
        stints.pipeline_id as pipeline,
        stints.stage_id as stage,
        coalesce(stages.stage, stints.stage_id) as stage_label,
        stints.stage_id,
        row_number() over (partition by stints.opportunity_id order by stints.entered_at, stints.row_key) as stint_index,
        stints.entered_at,
        lead(stints.entered_at) over (partition by stints.opportunity_id order by stints.entered_at, stints.row_key) as exited_at,
        coalesce(stages.is_closed, false) as is_closed_stage,
        coalesce(stages.is_won, false) as is_won_stage
    from stints
    left join stages
        on stints.source_system = stages.source_system
        and stints.pipeline_id = stages.pipeline_id
        and stints.stage_id = stages.stage_id

)

select * from final
