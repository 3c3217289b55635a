{#-
    One row per sales activity (call, email, meeting) of a rep, from both CRMs: the event grain that
    sales_activity aggregates by week × owner × type, kept whole for the semantic layer (activity counts
    by day, month or quarter, by opportunity). See int_activities for how each CRM's records are typed.
-#}

with activities as (

    select * from {{ ref('int_activities') }}

),

final as (

    select
        activity_id,
        source_system,
        activity_type,
        owner_id,
        occurred_at,
        is_completed,
        opportunity_id,
        duration_minutes,
        is_opened,
        is_replied
    from activities

)

select * from final
