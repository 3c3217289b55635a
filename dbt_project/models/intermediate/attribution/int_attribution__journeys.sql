{{ config(materialized='view') }}

{#-
    One row per opportunity x touch in its attribution window: the touches of the people on the
    opportunity with touched_at in [created_at - attribution_lookback_days, window_end], where
    window_end is closed_at for closed opportunities and the run's as-of time otherwise.
    It also carries the cut-off times of the milestones (docs/metrics.md section 3), so the credit
    model needs nothing else. A view: the credit mart reads it in one pass.
-#}

with fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

fct_opportunity_people as not materialized (

    select * from {{ ref('fct_opportunity_people') }}

),

dim_people as (

    select * from {{ ref('dim_people') }}

),

fct_touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

opportunities as (

    select
        opportunity_id,
        created_at as opportunity_created_at,
        is_closed,
        is_won,
        amount_corporate as amount,
        case
            when is_closed then coalesce(closed_at, (close_date::timestamp at time zone 'UTC'))
            else {{ as_of() }}
        end as window_end
    from fct_opportunities

),

opportunity_people as (

    select distinct opportunity_id, person_id
    from fct_opportunity_people

),

-- only people on an opportunity matter: filtering the (large) people and touch tables by a
-- semi-join on them first keeps every later join and the credit model's sort small
people as (

    select person_id, created_at
    from dim_people
    where person_id in (select person_id from fct_opportunity_people)

),

people_created as (

    select
        opportunity_people.opportunity_id,
        min(people.created_at) as people_created_at
    from opportunity_people
    inner join people
        on people.person_id = opportunity_people.person_id
    group by opportunity_people.opportunity_id

),

touches as (

    select touchpoint_id, person_id, touched_at, campaign_id, channel
    from fct_touchpoints
    where person_id in (select person_id from fct_opportunity_people)

),

final as (

    select
        opportunities.opportunity_id,
        touches.touchpoint_id,
        touches.person_id,
        touches.touched_at,
        touches.campaign_id,
        touches.channel,
        opportunities.opportunity_created_at,
        people_created.people_created_at,
        opportunities.window_end,
        opportunities.is_won,
        opportunities.amount
    from opportunities
    inner join opportunity_people
        on opportunity_people.opportunity_id = opportunities.opportunity_id
    inner join touches
        on touches.person_id = opportunity_people.person_id
    left join people_created
        on people_created.opportunity_id = opportunities.opportunity_id
    where touches.touched_at >= opportunities.opportunity_created_at
            - {{ var('attribution_lookback_days') }} * interval '86400 seconds'
        and touches.touched_at <= opportunities.window_end

)

select * from final
