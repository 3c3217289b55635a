{#-
    Open pipeline as of the run, by current stage × owner: count, amount, amount × probability and
    the average age (fractional days from creation to the run's as-of time).
-#}

with fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

open_opportunities as (

    select * from fct_opportunities
    where not is_closed

),

final as (

    select
        stage,
        owner_id,
        count(*) as open_count,
        coalesce(sum(amount_corporate), 0) as open_amount,
        coalesce(sum(amount_corporate * probability), 0) as weighted_amount,
        avg({{ days_between('created_at', as_of()) }}) as avg_age_days
    from open_opportunities
    group by 1, 2

)

select * from final
