{#-
    One row per live HubSpot marketing event and the campaign it is: the Salesforce campaign its
    externalEventId names, else the Salesforce campaign of its name, else a campaign of its own
    ('hs_event:<id>', which int_campaigns makes). int_campaigns and int_touchpoints both read it, so an
    event and its participations always land on the same campaign.
-#}

with stg_hubspot__marketing_events as (

    select * from {{ ref('stg_hubspot__marketing_events') }}

),

stg_salesforce__campaigns as (

    select * from {{ ref('stg_salesforce__campaigns') }}

),

marketing_events as (

    select * from stg_hubspot__marketing_events
    where not is_deleted

),

sf_campaigns as (

    select campaign_id, campaign_name from stg_salesforce__campaigns
    where not is_deleted

),

sf_campaigns_by_name as (

    select distinct on (campaign_name) campaign_name, campaign_id
    from sf_campaigns
    order by campaign_name, campaign_id

),

final as (

    select
        marketing_events.marketing_event_id,
        marketing_events.object_id,
        coalesce(
            by_external_id.campaign_id,
            by_name.campaign_id,
            'hs_event:' || marketing_events.marketing_event_id
        ) as campaign_id,
        coalesce(by_external_id.campaign_id, by_name.campaign_id) is not null as is_salesforce_campaign
    from marketing_events
    left join sf_campaigns as by_external_id
        on marketing_events.external_event_id = by_external_id.campaign_id
    left join sf_campaigns_by_name as by_name
        on by_external_id.campaign_id is null
        and marketing_events.event_name = by_name.campaign_name

)

select * from final
