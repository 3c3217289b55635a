{#-
    One row per campaign (docs/metrics.md section 4): cost and reach from dim_campaigns, the people it
    brought in (first touch here) and how many of them became MQLs, the opportunities it influenced
    (linear credit > 0), and pipeline / revenue under var `default_attribution_model`.
-#}

with dim_campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

dim_people as (

    select * from {{ ref('dim_people') }}

),

attribution_touchpoint_credit as (

    select * from {{ ref('attribution_touchpoint_credit') }}

),

attribution_campaign as (

    select * from {{ ref('attribution_campaign') }}

),

campaigns as (

    select
        campaign_id,
        name,
        channel,
        source_system,
        start_date,
        end_date,
        cost::double precision as cost,
        members,
        responses
    from dim_campaigns

),

sourced_people as (

    select
        first_touch_campaign_id as campaign_id,
        count(*) as new_people,
        count(*) filter (where mql_at is not null) as mqls_sourced
    from dim_people
    where first_touch_campaign_id is not null
    group by first_touch_campaign_id

),

influenced as (

    select campaign_id, count(distinct opportunity_id) as opportunities_influenced
    from attribution_touchpoint_credit
    where model = 'linear' and credit > 0 and campaign_id is not null
    group by campaign_id

),

attributed as (

    select
        campaign_id,
        attributed_pipeline as pipeline,
        attributed_revenue as revenue
    from attribution_campaign
    where model = '{{ var("default_attribution_model") }}' and campaign_id is not null

),

final as (

    select
        campaigns.campaign_id,
        campaigns.name,
        campaigns.channel,
        campaigns.source_system,
        campaigns.start_date,
        campaigns.end_date,
        campaigns.cost,
        coalesce(campaigns.members, 0) as members,
        coalesce(campaigns.responses, 0) as responses,
        campaigns.responses::double precision / nullif(campaigns.members, 0) as response_rate,
        coalesce(sourced_people.new_people, 0) as new_people,
        coalesce(sourced_people.mqls_sourced, 0) as mqls_sourced,
        coalesce(influenced.opportunities_influenced, 0) as opportunities_influenced,
        coalesce(attributed.pipeline, 0) as pipeline,
        coalesce(attributed.revenue, 0) as revenue,
        campaigns.cost / nullif(campaigns.responses, 0) as cost_per_response,
        campaigns.cost / nullif(sourced_people.new_people, 0) as cost_per_new_person,
        campaigns.cost / nullif(influenced.opportunities_influenced, 0) as cost_per_opportunity,
        (coalesce(attributed.revenue, 0) - campaigns.cost) / nullif(campaigns.cost, 0) as roi
    from campaigns
    left join sourced_people on sourced_people.campaign_id = campaigns.campaign_id
    left join influenced on influenced.campaign_id = campaigns.campaign_id
    left join attributed on attributed.campaign_id = campaigns.campaign_id

)

select * from final
