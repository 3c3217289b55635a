{#-
    Records stuck in a non-terminal stage as of the run: people (current canonical stage below
    customer) and open opportunities (current CRM stage). A record is stuck when its days in the
    current stage exceed the stage's p90 of completed time-in-stage — people: non-inferred
    transitions out of the stage (funnel_velocity, channel 'all'); opportunities: completed stints
    of the pipeline × stage (opportunity_stage_velocity) — or var stuck_after_days (default 30)
    when fewer than 20 completed transitions exist.
    Only active records are listed (docs/metrics.md §2): an open opportunity; a person whose
    int_person_activity.activity_status is `active` (not disqualified or recycled, not only on
    closed opportunities, a touch / activity / stage entry within var cold_after_days). A person
    below the terminal stage who is not active is cold, disqualified or lost (funnel_stage_health),
    not stuck.
    last_activity_at: a person's last sign of life (int_person_activity); an opportunity's latest
    of its entry into the current stage and the rep activities linked to it, at or before the as-of
    time.
-#}

with funnel_velocity as (

    select * from {{ ref('funnel_velocity') }}

),

fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

person_stages as (

    select * from {{ ref('int_person_stages') }}

),

person_activity as (

    select * from {{ ref('int_person_activity') }}

),

fct_activities as (

    select * from {{ ref('fct_activities') }}

),

funnel_stages as (

    select * from {{ ref('funnel_stages') }}

),

opportunity_velocity as (

    select * from {{ ref('opportunity_stage_velocity') }}

),

person_velocity as (

    select * from funnel_velocity
    where channel = 'all'

),

opportunities as (

    select * from fct_opportunities
    where not is_closed

),

opportunity_activity as (

    select opportunity_id, max(occurred_at) as last_activity_at
    from fct_activities
    where opportunity_id is not null and occurred_at <= {{ as_of() }}
    group by opportunity_id

),

person_candidates as (

    select
        'person' as record_type,
        people.person_id as record_id,
        people.current_stage,
        person_stages.entered_at as entered_stage_at,
        {{ days_between('person_stages.entered_at', as_of()) }} as days_in_stage,
        case
            when coalesce(person_velocity.transition_count, 0) >= 20 then person_velocity.p90_days
            else {{ var('stuck_after_days') }}
        end::double precision as threshold_days,
        people.owner_id,
        person_activity.last_activity_at
    from people
    inner join funnel_stages on people.current_stage = funnel_stages.stage
    inner join person_stages
        on people.person_id = person_stages.person_id
        and people.current_stage = person_stages.stage
    inner join person_activity on people.person_id = person_activity.person_id
    left join person_velocity on people.current_stage = person_velocity.from_stage
    where not funnel_stages.is_terminal
        and person_activity.activity_status = 'active'

),

opportunity_candidates as (

    select
        'opportunity' as record_type,
        opportunities.opportunity_id as record_id,
        opportunities.stage as current_stage,
        opportunities.stage_entered_at as entered_stage_at,
        {{ days_between('opportunities.stage_entered_at', as_of()) }} as days_in_stage,
        case
            when coalesce(opportunity_velocity.n, 0) >= 20 then opportunity_velocity.p90_days
            else {{ var('stuck_after_days') }}
        end::double precision as threshold_days,
        opportunities.owner_id,
        greatest(opportunities.stage_entered_at, opportunity_activity.last_activity_at) as last_activity_at
    from opportunities
    left join opportunity_velocity
        on opportunities.pipeline = opportunity_velocity.pipeline
        and opportunities.stage = opportunity_velocity.stage
    left join opportunity_activity on opportunities.opportunity_id = opportunity_activity.opportunity_id

),

final as (

    select * from person_candidates where days_in_stage > threshold_days
    union all
    select * from opportunity_candidates where days_in_stage > threshold_days

)

select * from final
