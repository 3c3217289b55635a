{#-
    Cumulative revenue of customer cohorts (docs/metrics.md section 4): companies grouped by the quarter
    of their first win; for every month since that first win (0 = the month of the first win, up to
    the run's as-of month), the revenue won from the cohort's customers so far. Months count from
    each customer's own first-win month.
-#}

with customer_lifetime_value as (

    select * from {{ ref('customer_lifetime_value') }}

),

fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

customers as (

    select
        company_id,
        first_won_at,
        date_trunc('quarter', first_won_at at time zone 'UTC')::date as cohort_quarter,
        {{ month_of('first_won_at') }} as first_won_month
    from customer_lifetime_value

),

won as (

    select company_id, closed_at, amount_corporate::double precision as amount
    from fct_opportunities
    where is_won and company_id is not null

),

deal_months as (

    select
        customers.cohort_quarter,
        (extract(year from age({{ month_of('won.closed_at') }}, customers.first_won_month)) * 12
            + extract(month from age({{ month_of('won.closed_at') }}, customers.first_won_month)))::int
            as months_since_first_win,
        coalesce(won.amount, 0) as amount
    from won
    inner join customers on customers.company_id = won.company_id

),

cohorts as (

    select
        cohort_quarter,
        count(*) as customers,
        -- months observable so far for the cohort's earliest customer
        (extract(year from age({{ month_of(as_of()) }}, min(first_won_month))) * 12
            + extract(month from age({{ month_of(as_of()) }}, min(first_won_month))))::int
            as last_month
    from customers
    group by cohort_quarter

),

cohort_months as (

    select cohorts.cohort_quarter, cohorts.customers, months.months_since_first_win
    from cohorts
    cross join lateral generate_series(0, greatest(cohorts.last_month, 0)) as months (months_since_first_win)

),

monthly_revenue as (

    select cohort_quarter, months_since_first_win, sum(amount) as revenue
    from deal_months
    group by cohort_quarter, months_since_first_win

),

final as (

    select
        cohort_months.cohort_quarter,
        cohort_months.months_since_first_win,
        cohort_months.customers,
        sum(coalesce(monthly_revenue.revenue, 0)) over (
            partition by cohort_months.cohort_quarter
            order by cohort_months.months_since_first_win
        ) as cumulative_revenue,
        sum(coalesce(monthly_revenue.revenue, 0)) over (
            partition by cohort_months.cohort_quarter
            order by cohort_months.months_since_first_win
        ) / cohort_months.customers as cumulative_revenue_per_customer
    from cohort_months
    left join monthly_revenue
        on monthly_revenue.cohort_quarter = cohort_months.cohort_quarter
        and monthly_revenue.months_since_first_win = cohort_months.months_since_first_win

)

select * from final
