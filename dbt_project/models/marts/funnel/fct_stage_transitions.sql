{#-
    One row per person × consecutive canonical stage pair they completed (lead→mql, mql→sql,
    sql→opportunity, opportunity→customer). days = fractional days from entering `from_stage` to
    entering `to_stage` (negative when the CRMs dated the later stage first); is_inferred when either
    date was back-filled. channel / campaign_id = the person's first touch ('unknown' without one).
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
        from_stage.person_id,
        from_stage.stage as from_stage,
        to_stage.stage as to_stage,
        from_stage.entered_at as from_at,
        to_stage.entered_at as to_at,
        {{ days_between('from_stage.entered_at', 'to_stage.entered_at') }} as days,
        from_stage.is_inferred or to_stage.is_inferred as is_inferred,
        people.first_touch_channel as channel,
        people.first_touch_campaign_id as campaign_id
    from stages as from_stage
    inner join stages as to_stage
        on from_stage.person_id = to_stage.person_id
        and to_stage.stage_order = from_stage.stage_order + 1
    inner join people on from_stage.person_id = people.person_id

)

select * from final
