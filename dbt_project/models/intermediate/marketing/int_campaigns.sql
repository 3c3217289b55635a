{#-
    One row per campaign. Salesforce campaigns are the campaign catalogue of both CRMs (HubSpot
    touches name them by `Campaign.Name`; marketing events point at them by `externalEventId`);
    a HubSpot marketing event that names no Salesforce campaign (by externalEventId or by name:
    int_marketing_event_campaigns) is a campaign of its own (`campaign_id` = 'hs_event:<id>').
    Channel comes from the seed `channel_mapping` (Campaign.Type; unmapped → 'other'). `cost` = ActualCost once known, else BudgetedCost; all three in the corporate currency
    (the campaign's CurrencyIsoCode at the current rate, int_currency_rates; null without a rate).
-#}

with stg_salesforce__campaigns as (

    select * from {{ ref('stg_salesforce__campaigns') }}

),

stg_hubspot__marketing_events as (

    select * from {{ ref('stg_hubspot__marketing_events') }}

),

event_campaigns as (

    select * from {{ ref('int_marketing_event_campaigns') }}

),

channel_mapping as (

    select * from {{ ref('channel_mapping') }}

),

rates as (

    select * from {{ ref('int_currency_rates') }}
    where rate_kind = 'current'

),

sf_campaigns as (

    select * from stg_salesforce__campaigns
    where not is_deleted

),

marketing_events as (

    select * from stg_hubspot__marketing_events
    where not is_deleted

),

sf as (

    select
        sf_campaigns.campaign_id,
        'salesforce' as source_system,
        sf_campaigns.campaign_id as source_id,
        sf_campaigns.campaign_name as name,
        sf_campaigns.campaign_type,
        coalesce(channel_mapping.channel, 'other') as channel,
        sf_campaigns.status,
        sf_campaigns.start_date,
        sf_campaigns.end_date,
        sf_campaigns.budgeted_cost * rates.corporate_per_unit as budgeted_cost,
        sf_campaigns.actual_cost * rates.corporate_per_unit as actual_cost,
        coalesce(sf_campaigns.actual_cost, sf_campaigns.budgeted_cost) * rates.corporate_per_unit as cost,
        sf_campaigns.created_at
    from sf_campaigns
    left join channel_mapping
        on channel_mapping.source_system = 'salesforce'
        and channel_mapping.source_field = 'Campaign.Type'
        and sf_campaigns.campaign_type = channel_mapping.source_value
    left join rates
        on coalesce(sf_campaigns.currency, upper('{{ var("corporate_currency") }}')) = rates.currency

),

hs_only as (

    select
        event_campaigns.campaign_id,
        'hubspot' as source_system,
        marketing_events.marketing_event_id as source_id,
        marketing_events.event_name as name,
        marketing_events.event_type as campaign_type,
        coalesce(channel_mapping.channel, 'event') as channel,
        null as status,
        (marketing_events.start_at at time zone 'UTC')::date as start_date,
        (marketing_events.end_at at time zone 'UTC')::date as end_date,
        null::numeric as budgeted_cost,
        null::numeric as actual_cost,
        null::numeric as cost,
        marketing_events.start_at as created_at
    from marketing_events
    inner join event_campaigns
        on marketing_events.marketing_event_id = event_campaigns.marketing_event_id
        and not event_campaigns.is_salesforce_campaign
    left join channel_mapping
        on channel_mapping.source_system = 'hubspot'
        and channel_mapping.source_field = 'marketing_event.eventType'
        and marketing_events.event_type = channel_mapping.source_value

),

final as (

    select * from sf
    union all
    select * from hs_only

)

select * from final
