{#-
    Attribution by model x campaign (docs/metrics.md section 3): every campaign of dim_campaigns under
    every model, credited or not. The row with a null campaign_id
    holds the opportunities that have no touch in their journey (each counts whole) and the
    credit of touches without a campaign, so that per model the attributed revenue sums to the
    total won amount and the attributed pipeline to the total opportunity amount.
-#}

with attribution_touchpoint_credit as (

    select * from {{ ref('attribution_touchpoint_credit') }}

),

fct_opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

attribution_model_weights as (

    select * from {{ ref('attribution_model_weights') }}

),

dim_campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

credits as (

    select opportunity_id, model, campaign_id, credit, attributed_pipeline, attributed_revenue
    from attribution_touchpoint_credit

),

opportunities as (

    select opportunity_id, is_won, amount_corporate as amount
    from fct_opportunities

),

models as (

    select model from attribution_model_weights

),

touch_credits as (

    select
        credits.model,
        credits.campaign_id,
        credits.credit,
        credits.attributed_pipeline,
        case when opportunities.is_won then credits.credit else 0 end as won_credit,
        credits.attributed_revenue
    from credits
    inner join opportunities
        on opportunities.opportunity_id = credits.opportunity_id

),

unattributed as (

    -- opportunities without any touch in their window: the whole credit goes to no campaign
    select
        models.model,
        null::text as campaign_id,
        1.0::double precision as credit,
        opportunities.amount::double precision as attributed_pipeline,
        case when opportunities.is_won then 1.0 else 0 end::double precision as won_credit,
        case
            when opportunities.is_won then opportunities.amount::double precision else 0
        end as attributed_revenue
    from opportunities
    cross join models
    where not exists (
        select 1 from credits where credits.opportunity_id = opportunities.opportunity_id
    )

),

all_credits as (

    select * from touch_credits
    union all
    select * from unattributed

),

by_campaign as (

    select
        model,
        campaign_id,
        sum(credit) as attributed_opportunities,
        sum(attributed_pipeline) as attributed_pipeline,
        sum(won_credit) as attributed_won_opportunities,
        sum(attributed_revenue) as attributed_revenue
    from all_credits
    group by model, campaign_id

),

campaigns as (

    select campaign_id, cost from dim_campaigns

),

uncredited as (

    -- every campaign has a row per model: one that no journey credits shows its cost, 0 revenue
    -- and roi -1 instead of vanishing from a dashboard
    select
        models.model,
        campaigns.campaign_id,
        0::double precision as attributed_opportunities,
        0::double precision as attributed_pipeline,
        0::double precision as attributed_won_opportunities,
        0::double precision as attributed_revenue
    from models
    cross join campaigns
    where not exists (
        select 1
        from by_campaign
        where by_campaign.model = models.model
            and by_campaign.campaign_id = campaigns.campaign_id
    )

),

campaign_rows as (

    select * from by_campaign
    union all
    select * from uncredited

),

final as (

    select
        campaign_rows.model,
        campaign_rows.campaign_id,
        campaign_rows.attributed_opportunities,
        campaign_rows.attributed_pipeline,
        campaign_rows.attributed_won_opportunities,
        campaign_rows.attributed_revenue,
        campaigns.cost::double precision as campaign_cost,
        (campaign_rows.attributed_revenue - campaigns.cost::double precision)
            / nullif(campaigns.cost::double precision, 0) as roi
    from campaign_rows
    left join campaigns
        on campaigns.campaign_id = campaign_rows.campaign_id

)

select * from final
