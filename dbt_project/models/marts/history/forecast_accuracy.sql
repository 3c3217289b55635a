{#-
    How good the forecast was (METRICS §5): for each close month and each of the 13 week-end snapshots
    before it starts (weeks_before 0 = the last week end at or before the month's first day, Monday
    00:00 UTC; k = k weeks earlier), the forecast as of that snapshot -- won amount plus
    probability-weighted open amount of the opportunities whose close date (as the snapshot shows it)
    falls in the month -- next to the month's actual won amount (won opportunities, as of the run,
    closing in the month: fct_opportunities). abs_pct_error = |forecast - actual| / actual, null when
    nothing was won. Rows exist for the snapshots the history has (from the first opportunity's
    creation to the as-of week).
-#}

with states as (

    select * from {{ ref('int_opportunity_states') }}

),

int_opportunities as (

    select * from {{ ref('int_opportunities') }}

),

bounds as (

    select
        {{ week_of('min(created_at)') }} as first_week,
        {{ week_of(as_of()) }} as current_week
    from states

),

grid as (

    select
        month::date as close_month,
        weeks_before,
        (date_trunc('week', month)::date - 7 * weeks_before)::timestamp at time zone 'UTC' as snapshot_at
    from bounds
    cross join lateral generate_series(date_trunc('month', bounds.first_week::timestamp),
                                       date_trunc('month', (bounds.current_week + 7 * 14)::timestamp),
                                       interval '1 month') as months(month)
    cross join generate_series(0, 12) as offsets(weeks_before)

),

snapshots as (

    select grid.*
    from grid
    cross join bounds
    where grid.snapshot_at >= (bounds.first_week + 7)::timestamp at time zone 'UTC'
        and grid.snapshot_at <= (bounds.current_week + 7)::timestamp at time zone 'UTC'

),

forecast as (

    select
        snapshots.close_month,
        snapshots.weeks_before,
        sum(case when states.is_won then coalesce(states.amount_corporate, 0) else 0 end)
            + sum(case when states.is_open then coalesce(states.amount_corporate * states.probability, 0) else 0 end)
            as forecast_amount
    from snapshots
    inner join states
        on {{ month_of_date('states.close_date') }} = snapshots.close_month
        and states.valid_from <= snapshots.snapshot_at
        and (states.valid_to is null or snapshots.snapshot_at < states.valid_to)
    where states.is_existing
    group by snapshots.close_month, snapshots.weeks_before

),

actuals as (

    select
        {{ month_of_date('close_date') }} as close_month,
        sum(amount_corporate) as actual_won_amount
    from int_opportunities
    where is_won
    group by 1

),

final as (

    select
        snapshots.close_month,
        snapshots.weeks_before,
        snapshots.snapshot_at,
        coalesce(forecast.forecast_amount, 0) as forecast_amount,
        coalesce(actuals.actual_won_amount, 0) as actual_won_amount,
        abs(coalesce(forecast.forecast_amount, 0) - coalesce(actuals.actual_won_amount, 0))
            / nullif(coalesce(actuals.actual_won_amount, 0), 0) as abs_pct_error
    from snapshots
    left join forecast
        on snapshots.close_month = forecast.close_month
        and snapshots.weeks_before = forecast.weeks_before
    left join actuals on snapshots.close_month = actuals.close_month

)

select * from final
