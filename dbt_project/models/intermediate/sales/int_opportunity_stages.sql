{#-
    Stage metadata per pipeline × stage: order, closed/won flags and probability. HubSpot stages
    come from the deal pipelines (won = closed with probability 1); Salesforce stages from the seed
    `opportunity_stage_mapping`, completed by the IsClosed/IsWon flags of opportunities currently in
    stages the seed does not list.
-#}

with stg_hubspot__deal_pipelines as (

    select * from {{ ref('stg_hubspot__deal_pipelines') }}

),

stg_salesforce__opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

seed as (

    select * from {{ ref('opportunity_stage_mapping') }}

),

hs_stages as (

    select * from stg_hubspot__deal_pipelines
    where not is_deleted

),

sf_opportunities as (

    select * from stg_salesforce__opportunities
    where not is_deleted

),

sf_observed as (

    select
        'salesforce' as source_system,
        'salesforce' as pipeline,
        stage_name as stage,
        bool_or(is_closed) as is_closed,
        bool_or(is_won) as is_won,
        percentile_cont(0.5) within group (order by probability_pct / 100.0) as default_probability
    from sf_opportunities
    where stage_name is not null
    group by stage_name

),

sf_stages as (

    select source_system, pipeline, stage, stage_order, is_closed, is_won, default_probability
    from seed
    where source_system = 'salesforce'

    union all

    select
        sf_observed.source_system,
        sf_observed.pipeline,
        sf_observed.stage,
        1000 + row_number() over (order by sf_observed.stage)::integer as stage_order,
        sf_observed.is_closed,
        sf_observed.is_won,
        sf_observed.default_probability
    from sf_observed
    left join seed
        on seed.source_system = 'salesforce' and seed.stage = sf_observed.stage
    where seed.stage is null

),

final as (

    select
        source_system,
        pipeline as pipeline_id,
        pipeline,
        stage as stage_id,
        stage,
        stage_order,
        is_closed,
        is_won,
        default_probability::numeric as default_probability
    from sf_stages

    union all

    select
        'hubspot' as source_system,
        pipeline_id,
        coalesce(pipeline_label, pipeline_id) as pipeline,
        stage_id,
        coalesce(stage_label, stage_id) as stage,
        stage_display_order as stage_order,
        is_closed,
        is_closed and probability >= 1 as is_won,
        probability as default_probability
    from hs_stages

)

select * from final
