{#-
    Current stage × first-touch channel: how many people sit below the terminal stage and what
    became of them (docs/metrics.md §2): active (of which stuck), cold, disqualified, lost, from
    int_person_activity.activity_status; stuck = the people of funnel_stuck_records.
-#}

with dim_people as (

    select * from {{ ref('dim_people') }}

),

funnel_stages as (

    select * from {{ ref('funnel_stages') }}

),

int_person_activity as (

    select * from {{ ref('int_person_activity') }}

),

funnel_stuck_records as (

    select * from {{ ref('funnel_stuck_records') }}

),

stuck_people as (

    select record_id as person_id from funnel_stuck_records
    where record_type = 'person'

),

people as (

    select
        dim_people.person_id,
        dim_people.current_stage,
        dim_people.first_touch_channel as channel,
        int_person_activity.activity_status,
        stuck_people.person_id is not null as is_stuck
    from dim_people
    inner join funnel_stages on dim_people.current_stage = funnel_stages.stage
    inner join int_person_activity on dim_people.person_id = int_person_activity.person_id
    left join stuck_people on dim_people.person_id = stuck_people.person_id
    where not funnel_stages.is_terminal

),

final as (

    select
        current_stage,
        channel,
        count(*) as people,
        count(*) filter (where activity_status = 'active') as active_count,
        count(*) filter (where is_stuck) as stuck_count,
        count(*) filter (where activity_status = 'cold') as cold_count,
        count(*) filter (where activity_status = 'disqualified') as disqualified_count,
        count(*) filter (where activity_status = 'lost') as lost_count
    from people
    group by current_stage, channel

)

select * from final
