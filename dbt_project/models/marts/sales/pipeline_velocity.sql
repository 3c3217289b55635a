{#-
    Sales velocity per calendar month (UTC), from the first month with an opportunity to the run's
    month: open_count = opportunities open at the month's end (created before it, not closed before it);
    won / lost = closed opportunities whose close month (the month of close_date, as in win_rates)
    it is; avg_sales_cycle_days = mean days created → closed_at of those won; pipeline_velocity = open_count × avg_won_amount × win_rate /
    avg_sales_cycle_days (null when any factor is null or the cycle is 0).
-#}

with opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

months as (

    select generate_series(
        (select min({{ month_of('created_at') }}) from opportunities),
        {{ month_of(as_of()) }},
        interval '1 month'
    )::date as month

),

bounds as (

    select
        month,
        (month::text || 'T00:00:00Z')::timestamptz as month_start,
        ((month + interval '1 month')::date::text || 'T00:00:00Z')::timestamptz as month_end
    from months

),

open_at_end as (

    select
        bounds.month,
        count(opportunities.opportunity_id) as open_count
    from bounds
    left join opportunities
        on opportunities.created_at < bounds.month_end
        and (opportunities.closed_at is null or opportunities.closed_at >= bounds.month_end)
    group by bounds.month

),

closed_in_month as (

    select
        -- the close month (docs/metrics.md §4: the month of close_date), as win_rates counts it
        {{ month_of_date('close_date') }} as month,
        count(*) filter (where is_won) as won_count,
        count(*) filter (where not is_won) as lost_count,
        avg(amount_corporate) filter (where is_won) as avg_won_amount,
        avg({{ days_between('created_at', 'closed_at') }}) filter (where is_won) as avg_sales_cycle_days
    from opportunities
    where is_closed and close_date is not null
    group by 1

),

final as (

    select
        bounds.month,
        open_at_end.open_count,
        coalesce(closed_in_month.won_count, 0) as won_count,
        coalesce(closed_in_month.lost_count, 0) as lost_count,
        {{ safe_ratio('closed_in_month.won_count', 'closed_in_month.won_count + closed_in_month.lost_count') }} as win_rate,
        closed_in_month.avg_won_amount,
        closed_in_month.avg_sales_cycle_days,
        open_at_end.open_count
            * closed_in_month.avg_won_amount::double precision
            * {{ safe_ratio('closed_in_month.won_count', 'closed_in_month.won_count + closed_in_month.lost_count') }}
            / nullif(closed_in_month.avg_sales_cycle_days, 0) as pipeline_velocity
    from bounds
    inner join open_at_end on bounds.month = open_at_end.month
    left join closed_in_month on bounds.month = closed_in_month.month

)

select * from final
