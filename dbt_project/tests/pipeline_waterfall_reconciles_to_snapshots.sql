{#- Every week's closing_amount is the open pipeline of pipeline_snapshots at that week end (amounts
    missing there count 0, as in the waterfall), and its closing_count the number of open rows. -#}

with waterfall as (

    select * from {{ ref('pipeline_waterfall') }}

),

snapshots as (

    select * from {{ ref('pipeline_snapshots') }}

),

open_at_week_end as (

    select
        snapshot_week,
        sum(coalesce(amount_corporate, 0)) as open_amount,
        count(*) as open_count
    from snapshots
    where not is_closed
    group by snapshot_week

)

select
    waterfall.snapshot_week,
    waterfall.closing_amount,
    open_at_week_end.open_amount,
    waterfall.closing_count,
    open_at_week_end.open_count
from waterfall
left join open_at_week_end on waterfall.snapshot_week = open_at_week_end.snapshot_week
where waterfall.closing_amount <> coalesce(open_at_week_end.open_amount, 0)
    or waterfall.closing_count <> coalesce(open_at_week_end.open_count, 0)
