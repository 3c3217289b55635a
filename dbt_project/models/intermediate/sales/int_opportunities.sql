{#-
    One row per opportunity: Salesforce opportunities and HubSpot deals (deleted/archived ones
    dropped), on one grain and column set.
      * closed_at: the last stage-history entry into a closed stage (a deal lost, reopened and won
        closed when it was won); when history is missing, the close date at 00:00 UTC.
      * probability: a fraction in [0, 1] (Salesforce percent / 100; HubSpot stage probability).
      * product_family: the family of its largest line item (by total price), else 'unspecified';
        team, region and competitor likewise 'unspecified' when missing.
      * amount_corporate: amount in the corporate currency (var corporate_currency; METRICS "Money"):
        Salesforce at the DatedConversionRate in force on close_date, else the current rate;
        HubSpot amount_in_home_currency when the portal's home currency (var
        hubspot_home_currency, default the corporate one) is the corporate currency, else the
        current rate. A missing currency is the corporate one (a single-currency org has no
        CurrencyIsoCode). No rate: amount_corporate null (fct_opportunities' test converted_to_corporate_currency fails,
        naming the currency). exchange_rate: corporate units per unit, for the line items.
      * stage / pipeline: the CRM's own values (Salesforce StageName; HubSpot dealstage and pipeline
        ids, labels in stage_label / pipeline_label).
-#}

with stg_salesforce__opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

stg_hubspot__deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

int_company_records as (

    select * from {{ ref('int_company_records') }}

),

int_hubspot_associations as (

    select * from {{ ref('int_hubspot_associations') }}

),

stages as (

    select * from {{ ref('int_opportunity_stages') }}

),

stage_history as (

    select * from {{ ref('int_opportunity_stage_history') }}

),

owners as (

    select * from {{ ref('int_owners') }}

),

line_items as (

    select * from {{ ref('int_opportunity_line_items') }}

),

rates as (

    select * from {{ ref('int_currency_rates') }}

),

sf_opportunities as (

    select * from stg_salesforce__opportunities
    where not is_deleted

),

hs_deals as (

    select * from stg_hubspot__deals
    where not is_deleted

),

company_records as (

    select source_system, source_id, company_id, region from int_company_records

),

line_item_families as (

    {#- the family of the line item with the largest total (ties: the greater family name) -#}
    select distinct on (opportunity_id)
        opportunity_id,
        product_family
    from line_items
    where product_family is not null
    order by opportunity_id, line_amount desc nulls last, product_family desc

),

hs_deal_companies as (

    select distinct on (from_id) from_id as deal_id, to_id as hs_company_id
    from int_hubspot_associations
    where from_object_type = 'deal' and to_object_type = 'company'
    order by from_id, to_id

),

unioned as (

    select
        sf.opportunity_id,
        'salesforce' as source_system,
        sf.opportunity_id as source_id,
        'salesforce' as pipeline_id,
        sf.stage_name as stage_id,
        sf.account_id as company_source_id,
        sf.owner_id,
        sf.opportunity_name,
        sf.created_at,
        sf.close_date,
        sf.is_closed,
        sf.is_won,
        sf.amount,
        null::numeric as amount_in_home_currency,
        coalesce(upper(nullif(sf.currency, '')), upper('{{ var("corporate_currency") }}')) as currency,
        sf.probability_pct / 100.0 as probability,
        sf.campaign_id as primary_campaign_id,
        sf.competitor,
        null::text as product_family,
        sf.region,
        sf.opportunity_type,
        sf.lead_source
    from sf_opportunities as sf

    union all

    select
        hs.deal_id as opportunity_id,
        'hubspot' as source_system,
        hs.deal_id as source_id,
        hs.pipeline_id,
        hs.deal_stage_id as stage_id,
        hs_deal_companies.hs_company_id as company_source_id,
        hs.owner_id,
        hs.deal_name as opportunity_name,
        coalesce(hs.created_at, hs.object_created_at) as created_at,
        hs.close_date,
        coalesce(hs.is_closed, stages.is_closed, false) as is_closed,
        coalesce(hs.is_closed_won, stages.is_won, false) as is_won,
        hs.amount,
        hs.amount_in_home_currency,
        coalesce(upper(nullif(hs.currency, '')), upper('{{ var("hubspot_home_currency") or var("corporate_currency") }}')) as currency,
        coalesce(hs.probability, stages.default_probability) as probability,
        null::text as primary_campaign_id,
        hs.competitor,
        null::text as product_family,
        hs.region,
        hs.deal_type as opportunity_type,
        null::text as lead_source
    from hs_deals as hs
    left join stages
        on stages.source_system = 'hubspot'
        and hs.pipeline_id = stages.pipeline_id
        and hs.deal_stage_id = stages.stage_id
    left join hs_deal_companies on hs.deal_id = hs_deal_companies.deal_id

),

converted as (

    select
        unioned.opportunity_id,
        case
            when unioned.source_system = 'hubspot'
                and upper('{{ var("hubspot_home_currency") or var("corporate_currency") }}') = upper('{{ var("corporate_currency") }}')
                and unioned.amount_in_home_currency is not null
                then unioned.amount_in_home_currency
            else unioned.amount * coalesce(dated.corporate_per_unit, current_rates.corporate_per_unit)
        end as amount_corporate,
        case
            when unioned.source_system = 'hubspot'
                and upper('{{ var("hubspot_home_currency") or var("corporate_currency") }}') = upper('{{ var("corporate_currency") }}')
                and unioned.amount_in_home_currency is not null
                and unioned.amount <> 0
                then unioned.amount_in_home_currency / unioned.amount
            else coalesce(dated.corporate_per_unit, current_rates.corporate_per_unit)
        end as exchange_rate
    from unioned
    left join rates as dated
        on unioned.source_system = 'salesforce'
        and dated.rate_kind = 'dated'
        and unioned.currency = dated.currency
        and unioned.close_date >= dated.valid_from
        and (unioned.close_date < dated.valid_to or dated.valid_to is null)
    left join rates as current_rates
        on current_rates.rate_kind = 'current'
        and unioned.currency = current_rates.currency

),

current_stint as (

    select distinct on (opportunity_id)
        opportunity_id,
        stage_id,
        entered_at
    from stage_history
    order by opportunity_id, stint_index desc

),

closing_stint as (

    {#- the last stage-history entry into a closed stage: a deal lost, reopened and won closed
        when it was won (and its people became customers then), not when it was first lost -#}
    select
        opportunity_id,
        max(entered_at) as entered_at
    from stage_history
    where is_closed_stage
    group by opportunity_id

),

final as (

    select
        unioned.opportunity_id,
        unioned.source_system,
        unioned.source_id,
        company_records.company_id,
        coalesce(owners.owner_id, unioned.owner_id) as owner_id,
        coalesce(owners.team, 'unspecified') as team,
        coalesce(nullif(unioned.region, ''), company_records.region, 'unspecified') as region,
        unioned.created_at,
        unioned.close_date,
        case
            when unioned.is_closed
                then coalesce(closing_stint.entered_at, (unioned.close_date::text || 'T00:00:00Z')::timestamptz)
        end as closed_at,
        unioned.stage_id as stage,
        coalesce(stages.stage, unioned.stage_id) as stage_label,
        unioned.is_closed,
        unioned.is_won,
        unioned.amount,
        unioned.currency,
        converted.amount_corporate,
        converted.exchange_rate,
        unioned.probability,
        unioned.primary_campaign_id,
        coalesce(nullif(unioned.competitor, ''), 'unspecified') as competitor,
        coalesce(nullif(unioned.product_family, ''), line_item_families.product_family, 'unspecified') as product_family,
        unioned.pipeline_id as pipeline,
        coalesce(stages.pipeline, unioned.pipeline_id) as pipeline_label,
        unioned.opportunity_name,
        unioned.opportunity_type,
        unioned.lead_source,
        case
            when current_stint.stage_id = unioned.stage_id then current_stint.entered_at
            else coalesce(closing_stint.entered_at, unioned.created_at)
        end as stage_entered_at
    from unioned
    left join stages
        on unioned.source_system = stages.source_system
        and unioned.pipeline_id = stages.pipeline_id
        and unioned.stage_id = stages.stage_id
    left join company_records
        on unioned.source_system = company_records.source_system
        and unioned.company_source_id = company_records.source_id
    left join owners
        on unioned.source_system = owners.source_system
        and unioned.owner_id = owners.source_owner_id
    left join line_item_families on unioned.opportunity_id = line_item_families.opportunity_id
    left join converted on unioned.opportunity_id = converted.opportunity_id
    left join current_stint on unioned.opportunity_id = current_stint.opportunity_id
    left join closing_stint on unioned.opportunity_id = closing_stint.opportunity_id

)

select * from final
