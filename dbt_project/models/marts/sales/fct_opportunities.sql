{#-
    One row per opportunity: Salesforce opportunities and HubSpot deals. See int_opportunities for
    closed_at, amount_corporate (the corporate currency), probability and the 'unspecified' rule for product_family, team, region, competitor.
-#}

with opportunities as (

    select * from {{ ref('int_opportunities') }}

),

passthrough as (

    {#- custom fields of var opportunity_passthrough_fields (docs/models.md "Passthrough fields") -#}
    select * from {{ ref('int_opportunity_passthrough') }}

),

final as (

    select
        opportunities.opportunity_id,
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
        {{- passthrough_columns('opportunity', 'passthrough') }}
    from opportunities
    left join passthrough on opportunities.opportunity_id = passthrough.opportunity_id

)

select * from final
