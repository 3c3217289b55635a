{#-
    The pipeline as the CRM showed it at each week end (Sunday 24:00 UTC): one row per week and
    opportunity open at the week end or closed in that week (METRICS §5). Built from the versioned raw
    layer by int_pipeline_snapshots, which is incremental by week.
-#}

with int_pipeline_snapshots as (

    select * from {{ ref('int_pipeline_snapshots') }}

),

final as (

    select
        snapshot_week,
        snapshot_at,
        opportunity_id,
        source_system,
        stage,
        stage_label,
        pipeline,
        is_closed,
        is_won,
        amount,
        currency,
        amount_corporate,
        probability,
        close_date,
        owner_id
    from int_pipeline_snapshots
    -- int_pipeline_snapshots also keeps the opportunities removed in the week (for the waterfall)
    where is_existing

)

select * from final
