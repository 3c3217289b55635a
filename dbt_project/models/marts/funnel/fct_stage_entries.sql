{#-
    One row per person × canonical stage they entered (METRICS.md §1: first entry, back-filled stages
    flagged), with the person's first-touch channel and campaign: the event grain that
    funnel_stage_volume aggregates by month, kept whole so the semantic layer can slice stage volume by
    day, week, month or quarter and by any person attribute.
-#}

with stages as (

    select * from {{ ref('int_person_stages') }}

),

people as (

    select person_id, first_touch_channel, first_touch_campaign_id from {{ ref('dim_people') }}

),

final as (

    select
        stages.person_id,
        stages.stage,
        stages.stage_order,
        stages.entered_at,
        stages.is_inferred,
        people.first_touch_channel as channel,
        people.first_touch_campaign_id as campaign_id
    from stages
    inner join people on stages.person_id = people.person_id

)

select * from final
