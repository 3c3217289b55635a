{#-
    Win rates of closed opportunities by close month (month of close_date, UTC) and dimension:
    overall (value 'all'), product (product_family), team, owner, campaign (primary campaign),
    competitor, region, source_system; a missing value is 'unspecified'. Open opportunities are
    excluded. win_rate = won / (won + lost); amount_win_rate = won amount / (won + lost amount),
    amounts ignoring opportunities without an amount.
-#}

with fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

closed as (

    select * from fct_opportunities
    where is_closed

),

dimensions as (

    select
        closed.*,
        dimension.dimension,
        coalesce(dimension.dimension_value, 'unspecified') as dimension_value
    from closed
    cross join lateral (
        values
            ('overall', 'all'),
            ('product', closed.product_family),
            ('team', closed.team),
            ('owner', closed.owner_id),
            ('campaign', closed.primary_campaign_id),
            ('competitor', closed.competitor),
            ('region', closed.region),
            ('source_system', closed.source_system)
    ) as dimension (dimension, dimension_value)

),

final as (

    select
        {{ month_of_date('close_date') }} as close_month,
        dimension,
        dimension_value,
        count(*) filter (where is_won) as won_count,
        count(*) filter (where not is_won) as lost_count,
        {{ safe_ratio('count(*) filter (where is_won)', 'count(*)') }} as win_rate,
        coalesce(sum(amount_corporate) filter (where is_won), 0) as won_amount,
        coalesce(sum(amount_corporate) filter (where not is_won), 0) as lost_amount,
        {{ safe_ratio('coalesce(sum(amount_corporate) filter (where is_won), 0)', 'coalesce(sum(amount_corporate), 0)') }} as amount_win_rate
    from dimensions
    group by 1, 2, 3

)

select * from final
