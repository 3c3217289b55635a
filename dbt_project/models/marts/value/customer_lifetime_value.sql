{#-
    Historic customer lifetime value per company (docs/metrics.md section 4): its won opportunities'
    amounts to date. won_at = closed_at; tenure_days = days from the first win to the run's as-of
    time. Companies without a won opportunity are not customers and have no row.
-#}

with fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

won as (

    select company_id, closed_at, amount_corporate::double precision as amount
    from fct_opportunities
    where is_won and company_id is not null

),

final as (

    select
        company_id,
        min(closed_at) as first_won_at,
        max(closed_at) as last_won_at,
        count(*) as won_deals,
        coalesce(sum(amount), 0) as lifetime_revenue,
        avg(amount) as avg_deal_size,
        date_part('epoch', {{ as_of() }} - min(closed_at)) / 86400.0 as tenure_days
    from won
    group by company_id

)

select * from final
