{#-
    People entering each stage per month (UTC), by the channel and campaign of their first touch.
    A person counts once per stage, in the month of their first entry; back-filled entries count
    (and are also counted in entered_inferred_count).
-#}

with dim_people as (

    select * from {{ ref('dim_people') }}

),

stages as (

    select * from {{ ref('int_person_stages') }}

),

people as (

    select person_id, first_touch_channel, first_touch_campaign_id from dim_people

),

final as (

    select
        {{ month_of('stages.entered_at') }} as month,
        stages.stage,
        people.first_touch_channel as channel,
        people.first_touch_campaign_id as campaign_id,
        count(*) as entered_count,
        count(*) filter (where stages.is_inferred) as entered_inferred_count
    from stages
    inner join people on stages.person_id = people.person_id
    group by 1, 2, 3, 4

)

select * from final
