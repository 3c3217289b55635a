{#-
    One row per opportunity: Salesforce opportunities and HubSpot deals. See int_opportunities for
    closed_at, amount_corporate (the corporate currency), probability and the 'unspecified' rule for product_family, team, region, competitor.
-#}

with opportunities as (

    select * from {{ ref('int_opportunities') }}

),

final as (

    select
        opportunity_id,
        source_system,
        source_id,
        company_id,
        owner_id,
        team,
        region,
        created_at,
        close_date,
        closed_at,
        stage,
        is_closed,
        is_won,
        amount,
        currency,
        amount_corporate,
        exchange_rate,
        probability,
        primary_campaign_id,
        competitor,
        product_family,
        pipeline,
        stage_label,
        pipeline_label,
        opportunity_name,
        opportunity_type,
        stage_entered_at
    from opportunities

)

select * from final
