{#-
    One row per sales activity of a rep, from both CRMs, typed `call`, `email` or `meeting`:
      * Salesforce Task by TaskSubtype (Call / Email) at ActivityDate (00:00 UTC; CreatedDate when
        missing), completed = IsClosed; Event = meeting at StartDateTime, completed once it has ended
        (as of the run); Salesforce records no email opens/replies (null);
      * HubSpot calls (completed = COMPLETED; duration ms → minutes), rep-sent emails (direction EMAIL;
        incoming replies are not rep activities; completed = SENT; opened/replied = open/reply count > 0),
        meetings (completed = COMPLETED; duration end − start).
    Linked to an opportunity: Salesforce WhatId is a live opportunity; HubSpot engagement associated
    with a deal. owner_id is unified across CRMs (int_owners).
    Each record is typed once in the incremental int_activity_records; this model only resolves
    what depends on other objects, over that narrow table.
-#}

with int_activity_records as (

    select * from {{ ref('int_activity_records') }}

),

int_opportunities as (

    select * from {{ ref('int_opportunities') }}

),

int_owners as (

    select * from {{ ref('int_owners') }}

),

int_hubspot_associations as (

    select * from {{ ref('int_hubspot_associations') }}

),

activity_records as (

    select * from int_activity_records
    where not is_deleted

),

opportunities as (

    select opportunity_id from int_opportunities

),

owners as (

    select source_system, source_owner_id, owner_id from int_owners

),

engagement_deals as (

    select distinct on (from_object_type, from_id)
        'hs_' || from_object_type as source_object,
        from_id,
        to_id as deal_id
    from int_hubspot_associations
    where from_object_type in ('call', 'email', 'meeting') and to_object_type = 'deal'
    order by from_object_type, from_id, to_id

),

final as (

    select
        activity_records.activity_id,
        activity_records.source_system,
        activity_records.activity_type,
        coalesce(owners.owner_id, activity_records.source_owner_id) as owner_id,
        activity_records.occurred_at,
        coalesce(
            activity_records.is_completed,
            activity_records.completes_at <= {{ as_of() }},
            false
        ) as is_completed,
        opportunities.opportunity_id,
        activity_records.duration_minutes::numeric as duration_minutes,
        activity_records.is_opened,
        activity_records.is_replied
    from activity_records
    left join engagement_deals
        on activity_records.source_object = engagement_deals.source_object
        and activity_records.source_id = engagement_deals.from_id
    left join owners
        on activity_records.source_system = owners.source_system
        and activity_records.source_owner_id = owners.source_owner_id
    left join opportunities
        on coalesce(activity_records.opportunity_ref, engagement_deals.deal_id) = opportunities.opportunity_id
    where activity_records.activity_type is not null
        and activity_records.occurred_at is not null

)

select * from final
