{#-
    Per calendar month (UTC) × owner: new people owned (created in the month), MQLs (people whose
    first MQL entry fell in the month, by the person's owner), opportunities created, won / lost
    (close_date in the month: docs/metrics.md's close month), won amount, win rate, calls / emails / meetings logged, and the mean
    sales cycle (created → closed) of the month's wins. Owners are unified across CRMs.
-#}

with people as (

    select * from {{ ref('dim_people') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

activities as (

    select * from {{ ref('int_activities') }}

),

facts as (

    select
        {{ month_of('created_at') }} as month, owner_id,
        1 as people_owned_new, 0 as mqls, 0 as opportunities_created, 0 as won_count, 0::numeric as won_amount,
        0 as lost_count, 0 as calls, 0 as emails, 0 as meetings, null::double precision as cycle_days
    from people

    union all

    select
        {{ month_of('mql_at') }}, owner_id,
        0, 1, 0, 0, 0, 0, 0, 0, 0, null
    from people
    where mql_at is not null

    union all

    select
        {{ month_of('created_at') }}, owner_id,
        0, 0, 1, 0, 0, 0, 0, 0, 0, null
    from opportunities

    union all

    -- won / lost in the close month (docs/metrics.md §4: the month of close_date), as win_rates counts them
    select
        {{ month_of_date('close_date') }}, owner_id,
        0, 0, 0,
        case when is_won then 1 else 0 end,
        case when is_won then coalesce(amount_corporate, 0) else 0 end,
        case when is_won then 0 else 1 end,
        0, 0, 0,
        case when is_won then {{ days_between('created_at', 'closed_at') }} end
    from opportunities
    where is_closed and close_date is not null

    union all

    select
        {{ month_of('occurred_at') }}, owner_id,
        0, 0, 0, 0, 0, 0,
        case when activity_type = 'call' then 1 else 0 end,
        case when activity_type = 'email' then 1 else 0 end,
        case when activity_type = 'meeting' then 1 else 0 end,
        null
    from activities

),

final as (

    select
        month,
        owner_id,
        sum(people_owned_new) as people_owned_new,
        sum(mqls) as mqls,
        sum(opportunities_created) as opportunities_created,
        sum(won_count) as won_count,
        sum(won_amount) as won_amount,
        sum(lost_count) as lost_count,
        {{ safe_ratio('sum(won_count)', 'sum(won_count) + sum(lost_count)') }} as win_rate,
        sum(calls) as calls,
        sum(emails) as emails,
        sum(meetings) as meetings,
        avg(cycle_days) as avg_sales_cycle_days
    from facts
    group by 1, 2

)

select * from final
