{#-
    Time between consecutive stages, per stage pair × first-touch channel, plus channel = 'all'.
    Only transitions where both dates are real (is_inferred = false). Days are fractional;
    median / p90 use percentile_cont.
-#}

with fct_stage_transitions as (

    select * from {{ ref('fct_stage_transitions') }}

),

transitions as (

    select * from fct_stage_transitions
    where not is_inferred

),

final as (

    select
        from_stage,
        to_stage,
        coalesce(channel, 'all') as channel,
        count(*) as transition_count,
        avg(days) as mean_days,
        percentile_cont(0.5) within group (order by days) as median_days,
        percentile_cont(0.9) within group (order by days) as p90_days
    from transitions
    group by grouping sets ((from_stage, to_stage, channel), (from_stage, to_stage))

)

select * from final
