{#-
    Time in stage per pipeline × stage, from the opportunity stage history (consecutive identical
    stages collapsed): completed stints only (the opportunity has moved on), in fractional days.
    Salesforce opportunities form the pipeline 'salesforce'; HubSpot deals use their pipeline id.
-#}

with int_opportunity_stage_history as (

    select * from {{ ref('int_opportunity_stage_history') }}

),

stints as (

    select * from int_opportunity_stage_history
    where exited_at is not null

),

final as (

    select
        pipeline,
        stage,
        count(*) as n,
        avg({{ days_between('entered_at', 'exited_at') }}) as mean_days,
        percentile_cont(0.5) within group (order by {{ days_between('entered_at', 'exited_at') }}) as median_days,
        percentile_cont(0.9) within group (order by {{ days_between('entered_at', 'exited_at') }}) as p90_days
    from stints
    group by 1, 2

)

select * from final
