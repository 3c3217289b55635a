{#-
    Revenue forecast per close month (month of close_date; past and future): won amount of won
    opportunities closing in the month, plus open opportunities expected to close in it (count, amount,
    amount × probability). forecast_amount = won_amount + weighted_open_amount. Every month with any
    opportunity closing (won, lost or expected) has a row; amounts ignore opportunities without one.
-#}

with fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

opportunities as (

    select * from fct_opportunities
    where close_date is not null

),

final as (

    select
        {{ month_of_date('close_date') }} as close_month,
        coalesce(sum(amount_corporate) filter (where is_won), 0) as won_amount,
        count(*) filter (where not is_closed) as open_count,
        coalesce(sum(amount_corporate) filter (where not is_closed), 0) as open_amount,
        coalesce(sum(amount_corporate * probability) filter (where not is_closed), 0) as weighted_open_amount,
        coalesce(sum(amount_corporate) filter (where is_won), 0)
            + coalesce(sum(amount_corporate * probability) filter (where not is_closed), 0) as forecast_amount
    from opportunities
    group by 1

)

select * from final
