{#-
    Month x channel (docs/metrics.md section 4), each metric beside the previous month's value and the
    same month a year earlier. People are counted in the month they entered the stage, under their
    first-touch channel; opportunities / pipeline are attributed (var `default_attribution_model`)
    to the channels of the touches, in the month the opportunity was created, revenue in its close
    month; opportunities without touches count under 'unknown'. Cost = campaign cost in the month
    the campaign starts. Every month between the first and the last with data, for every channel,
    is a row (0 where nothing happened); the comparison columns are null outside that range.
-#}

with dim_people as (

    select * from {{ ref('dim_people') }}

),

fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

attribution_touchpoint_credit as (

    select * from {{ ref('attribution_touchpoint_credit') }}

),

dim_campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

people as (

    select
        coalesce(first_touch_channel, 'unknown') as channel,
        lead_at,
        mql_at
    from dim_people

),

opportunities as (

    select opportunity_id, created_at, close_date, is_won, amount_corporate::double precision as amount
    from fct_opportunities

),

credits as (

    select opportunity_id, coalesce(channel, 'unknown') as channel, credit, attributed_pipeline,
        attributed_revenue
    from attribution_touchpoint_credit
    where model = '{{ var("default_attribution_model") }}'

),

opportunity_channels as (

    -- attributed shares, plus the whole of every opportunity without a touch under 'unknown'
    select opportunity_id, channel, credit, attributed_pipeline, attributed_revenue from credits
    union all
    select
        opportunity_id,
        'unknown',
        1.0,
        amount,
        case when is_won then amount else 0 end
    from opportunities
    where not exists (select 1 from credits where credits.opportunity_id = opportunities.opportunity_id)

),

metric_events as (

    select {{ month_of('lead_at') }} as month, channel,
        1 as new_people, 0 as mqls, 0.0::double precision as opportunities,
        0.0::double precision as pipeline, 0.0::double precision as revenue, 0.0::double precision as cost
    from people where lead_at is not null
    union all
    select {{ month_of('mql_at') }}, channel, 0, 1, 0, 0, 0, 0
    from people where mql_at is not null
    union all
    select {{ month_of('opportunities.created_at') }}, opportunity_channels.channel,
        0, 0, opportunity_channels.credit, coalesce(opportunity_channels.attributed_pipeline, 0), 0, 0
    from opportunity_channels
    inner join opportunities on opportunities.opportunity_id = opportunity_channels.opportunity_id
    union all
    select {{ month_of_date('opportunities.close_date') }}, opportunity_channels.channel,
        0, 0, 0, 0, coalesce(opportunity_channels.attributed_revenue, 0), 0
    from opportunity_channels
    inner join opportunities on opportunities.opportunity_id = opportunity_channels.opportunity_id
    where opportunities.is_won and opportunities.close_date is not null
    union all
    select {{ month_of_date('start_date') }}, coalesce(channel, 'unknown'), 0, 0, 0, 0, 0,
        coalesce(cost, 0)::double precision
    from dim_campaigns
    where start_date is not null

),

monthly as (

    select
        month,
        channel,
        sum(new_people)::bigint as new_people,
        sum(mqls)::bigint as mqls,
        sum(opportunities) as opportunities,
        sum(pipeline) as pipeline,
        sum(revenue) as revenue,
        sum(cost) as cost
    from metric_events
    where month is not null
    group by month, channel

),

months as (

    select generate_series(min(month), max(month), interval '1 month')::date as month
    from monthly

),

channels as (

    select distinct channel from monthly

),

grid as (

    select
        months.month,
        channels.channel,
        coalesce(monthly.new_people, 0) as new_people,
        coalesce(monthly.mqls, 0) as mqls,
        coalesce(monthly.opportunities, 0) as opportunities,
        coalesce(monthly.pipeline, 0) as pipeline,
        coalesce(monthly.revenue, 0) as revenue,
        coalesce(monthly.cost, 0) as cost
    from months
    cross join channels
    left join monthly
        on monthly.month = months.month and monthly.channel = channels.channel

),

final as (

    select
        grid.month,
        grid.channel,
        grid.new_people,
        grid.mqls,
        grid.opportunities,
        grid.pipeline,
        grid.revenue,
        grid.cost,
        prev_month.new_people as new_people_prev_month,
        prev_month.mqls as mqls_prev_month,
        prev_month.opportunities as opportunities_prev_month,
        prev_month.pipeline as pipeline_prev_month,
        prev_month.revenue as revenue_prev_month,
        prev_month.cost as cost_prev_month,
        prev_year.new_people as new_people_prev_year,
        prev_year.mqls as mqls_prev_year,
        prev_year.opportunities as opportunities_prev_year,
        prev_year.pipeline as pipeline_prev_year,
        prev_year.revenue as revenue_prev_year,
        prev_year.cost as cost_prev_year
    from grid
    left join grid as prev_month
        on prev_month.channel = grid.channel
        and prev_month.month = (grid.month - interval '1 month')::date
    left join grid as prev_year
        on prev_year.channel = grid.channel
        and prev_year.month = (grid.month - interval '1 year')::date

)

select * from final
