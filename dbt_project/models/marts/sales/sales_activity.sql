{#-
    Sales activities per ISO week (Monday, UTC) × owner × type (call, email, meeting).
    duration_minutes: calls and meetings (null for emails); opened_count / replied_count: emails,
    null where the source does not record opens/replies (Salesforce).
-#}

with activities as (

    select * from {{ ref('int_activities') }}

),

final as (

    select
        {{ week_of('occurred_at') }} as week,
        owner_id,
        activity_type,
        count(*) as activity_count,
        count(*) filter (where is_completed) as completed_count,
        count(*) filter (where opportunity_id is not null) as linked_to_opportunity_count,
        case when activity_type in ('call', 'meeting') then coalesce(sum(duration_minutes), 0) end as duration_minutes,
        case when activity_type = 'email' then sum(case when is_opened then 1 when is_opened is not null then 0 end) end as opened_count,
        case when activity_type = 'email' then sum(case when is_replied then 1 when is_replied is not null then 0 end) end as replied_count
    from activities
    group by 1, 2, 3

)

select * from final
