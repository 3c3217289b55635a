{#-
    How the open pipeline moved each week (METRICS §5): opening (open at the previous week end) +
    created + reopened - won - lost - removed + amount_change = closing, exactly, on every week.
    Each opportunity counts once per week, by its state at the two week ends (int_pipeline_snapshots):
      * open at both ends: amount_change = new - old amount; slipped_amount (informative, not in the sum)
        = its amount when the close month moved later;
      * open at the start, closed won / lost / gone (deleted, merged away) at the end: won / lost /
        removed at its opening amount (the pipeline that left);
      * not open at the start, open at the end: reopened when it existed (closed) then, else created;
      * created and closed within the week: created and won / lost at its week-end amount.
    A missing amount counts 0 (so the identity holds whatever the data). Every week from the first
    opportunity's creation to the as-of week has a row.
-#}

with int_pipeline_snapshots as (

    select * from {{ ref('int_pipeline_snapshots') }}

),

flows as (

    select
        snapshot_week,
        case when was_open then coalesce(previous_amount_corporate, 0) else 0 end as opening,
        case when not was_existing and is_existing then coalesce(amount_corporate, 0) else 0 end as created,
        case when was_existing and not was_open and is_open then coalesce(amount_corporate, 0) else 0 end as reopened,
        case
            when is_existing and is_closed and is_won and was_open then coalesce(previous_amount_corporate, 0)
            when is_existing and is_closed and is_won and not was_existing then coalesce(amount_corporate, 0)
            else 0
        end as won,
        case
            when is_existing and is_closed and not is_won and was_open then coalesce(previous_amount_corporate, 0)
            when is_existing and is_closed and not is_won and not was_existing then coalesce(amount_corporate, 0)
            else 0
        end as lost,
        case when was_open and not is_existing then coalesce(previous_amount_corporate, 0) else 0 end as removed,
        case
            when was_open and is_open then coalesce(amount_corporate, 0) - coalesce(previous_amount_corporate, 0)
            else 0
        end as amount_change,
        case when is_open then coalesce(amount_corporate, 0) else 0 end as closing,
        case
            when was_open and is_open
                and {{ month_of_date('close_date') }} > {{ month_of_date('previous_close_date') }}
                then coalesce(amount_corporate, 0)
            else 0
        end as slipped,
        (was_open)::int as opening_n,
        (not was_existing and is_existing)::int as created_n,
        (is_existing and is_closed and is_won and (was_open or not was_existing))::int as won_n,
        (is_existing and is_closed and not is_won and (was_open or not was_existing))::int as lost_n,
        (is_open)::int as closing_n
    from int_pipeline_snapshots

),

weeks as (

    select week::date as snapshot_week
    from (
        select min(snapshot_week) as first_week, {{ week_of(as_of()) }} as last_week from int_pipeline_snapshots
    ) as bounds
    cross join lateral generate_series(bounds.first_week, bounds.last_week, interval '7 days') as series(week)

),

per_week as (

    select
        snapshot_week,
        sum(opening) as opening_amount,
        sum(created) as created_amount,
        sum(reopened) as reopened_amount,
        sum(won) as won_amount,
        sum(lost) as lost_amount,
        sum(removed) as removed_amount,
        sum(amount_change) as amount_change,
        sum(closing) as closing_amount,
        sum(slipped) as slipped_amount,
        sum(opening_n) as opening_count,
        sum(created_n) as created_count,
        sum(won_n) as won_count,
        sum(lost_n) as lost_count,
        sum(closing_n) as closing_count
    from flows
    group by snapshot_week

),

final as (

    select
        weeks.snapshot_week,
        coalesce(per_week.opening_amount, 0) as opening_amount,
        coalesce(per_week.created_amount, 0) as created_amount,
        coalesce(per_week.reopened_amount, 0) as reopened_amount,
        coalesce(per_week.won_amount, 0) as won_amount,
        coalesce(per_week.lost_amount, 0) as lost_amount,
        coalesce(per_week.removed_amount, 0) as removed_amount,
        coalesce(per_week.amount_change, 0) as amount_change,
        coalesce(per_week.closing_amount, 0) as closing_amount,
        coalesce(per_week.slipped_amount, 0) as slipped_amount,
        coalesce(per_week.opening_count, 0)::bigint as opening_count,
        coalesce(per_week.created_count, 0)::bigint as created_count,
        coalesce(per_week.won_count, 0)::bigint as won_count,
        coalesce(per_week.lost_count, 0)::bigint as lost_count,
        coalesce(per_week.closing_count, 0)::bigint as closing_count
    from weeks
    left join per_week on weeks.snapshot_week = per_week.snapshot_week

)

select * from final
