{#-
    Won revenue by close month x product x region x channel (docs/metrics.md section 4). Product =
    the product family of the opportunity's line items, with the line-item totals as amounts (converted at the opportunity's rate: both are in its currency); an
    opportunity without line items counts its own amount under product 'unspecified'. Channel =
    the channel of the opportunity's first touch (its journey's FT), 'unknown' without touches.
-#}

with fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

int_opportunity_line_items as (

    select * from {{ ref('int_opportunity_line_items') }}

),

attribution_touchpoint_credit as (

    select * from {{ ref('attribution_touchpoint_credit') }}

),

won as (

    select
        opportunity_id,
        {{ month_of_date('close_date') }} as close_month,
        coalesce(region, 'unspecified') as region,
        amount_corporate::double precision as amount,
        exchange_rate
    from fct_opportunities
    where is_won

),

line_items as (

    select
        opportunity_id,
        coalesce(product_family, 'unspecified') as product,
        sum(line_amount)::double precision as amount
    from int_opportunity_line_items
    group by opportunity_id, coalesce(product_family, 'unspecified')

),

first_touch_channels as (

    select opportunity_id, coalesce(channel, 'unknown') as channel
    from attribution_touchpoint_credit
    where model = 'first_touch' and touch_position = 1

),

won_products as (

    select won.opportunity_id, line_items.product, line_items.amount * won.exchange_rate as amount
    from won
    inner join line_items on line_items.opportunity_id = won.opportunity_id
    union all
    select won.opportunity_id, 'unspecified', won.amount
    from won
    where not exists (select 1 from line_items where line_items.opportunity_id = won.opportunity_id)

),

final as (

    select
        won.close_month,
        won_products.product,
        won.region,
        coalesce(first_touch_channels.channel, 'unknown') as channel,
        count(distinct won.opportunity_id) as won_count,
        coalesce(sum(won_products.amount), 0) as won_amount
    from won
    inner join won_products on won_products.opportunity_id = won.opportunity_id
    left join first_touch_channels on first_touch_channels.opportunity_id = won.opportunity_id
    group by 1, 2, 3, 4

)

select * from final
