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
-#}

with tasks as (

    select * from {{ ref('stg_salesforce__tasks') }}
    where not is_deleted

),

events as (

    select * from {{ ref('stg_salesforce__events') }}
    where not is_deleted

),

hs_calls as (

    select * from {{ ref('stg_hubspot__calls') }}
    where not is_deleted

),

hs_emails as (

    select * from {{ ref('stg_hubspot__emails') }}
    where not is_deleted

),

hs_meetings as (

    select * from {{ ref('stg_hubspot__meetings') }}
    where not is_deleted

),

opportunities as (

    select opportunity_id from {{ ref('int_opportunities') }}

),

owners as (

    select source_system, source_owner_id, owner_id from {{ ref('int_owners') }}

),

engagement_deals as (

    select distinct on (from_object_type, from_id)
        from_object_type,
        from_id,
        to_id as deal_id
    from {{ ref('int_hubspot_associations') }}
    where from_object_type in ('call', 'email', 'meeting') and to_object_type = 'deal'
    order by from_object_type, from_id, to_id

),

sf_activities as (

    select
        'sf_task:' || task_id as activity_id,
        'salesforce' as source_system,
        case lower(coalesce(task_subtype, task_type))
            when 'call' then 'call'
            when 'email' then 'email'
            when 'listemail' then 'email'
        end as activity_type,
        owner_id as source_owner_id,
        coalesce((activity_date::text || 'T00:00:00Z')::timestamptz, created_at) as occurred_at,
        is_closed as is_completed,
        what_id as opportunity_ref,
        case when lower(coalesce(task_subtype, task_type)) = 'call' then call_duration_seconds / 60.0 end as duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied
    from tasks

    union all

    select
        'sf_event:' || event_id as activity_id,
        'salesforce' as source_system,
        'meeting' as activity_type,
        owner_id as source_owner_id,
        coalesce(start_at, activity_at, (activity_date::text || 'T00:00:00Z')::timestamptz, created_at) as occurred_at,
        coalesce(end_at, start_at, activity_at) <= {{ as_of() }} as is_completed,
        what_id as opportunity_ref,
        duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied
    from events

),

hs_activities as (

    select
        'hs_call:' || hs_calls.call_id as activity_id,
        'hubspot' as source_system,
        'call' as activity_type,
        hs_calls.owner_id as source_owner_id,
        coalesce(hs_calls.occurred_at, hs_calls.created_at, hs_calls.object_created_at) as occurred_at,
        upper(coalesce(hs_calls.call_status, '')) = 'COMPLETED' as is_completed,
        engagement_deals.deal_id as opportunity_ref,
        hs_calls.duration_ms / 60000.0 as duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied
    from hs_calls
    left join engagement_deals
        on engagement_deals.from_object_type = 'call' and hs_calls.call_id = engagement_deals.from_id

    union all

    select
        'hs_email:' || hs_emails.email_id as activity_id,
        'hubspot' as source_system,
        'email' as activity_type,
        hs_emails.owner_id as source_owner_id,
        coalesce(hs_emails.occurred_at, hs_emails.created_at, hs_emails.object_created_at) as occurred_at,
        upper(coalesce(hs_emails.email_status, '')) = 'SENT' as is_completed,
        engagement_deals.deal_id as opportunity_ref,
        null::numeric as duration_minutes,
        coalesce(hs_emails.open_count, 0) > 0 as is_opened,
        coalesce(hs_emails.reply_count, 0) > 0 as is_replied
    from hs_emails
    left join engagement_deals
        on engagement_deals.from_object_type = 'email' and hs_emails.email_id = engagement_deals.from_id
    where upper(coalesce(hs_emails.direction, 'EMAIL')) <> 'INCOMING_EMAIL'

    union all

    select
        'hs_meeting:' || hs_meetings.meeting_id as activity_id,
        'hubspot' as source_system,
        'meeting' as activity_type,
        hs_meetings.owner_id as source_owner_id,
        coalesce(hs_meetings.start_at, hs_meetings.occurred_at, hs_meetings.created_at) as occurred_at,
        upper(coalesce(hs_meetings.outcome, '')) = 'COMPLETED' as is_completed,
        engagement_deals.deal_id as opportunity_ref,
        {{ days_between('hs_meetings.start_at', 'hs_meetings.end_at') }} * 1440 as duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied
    from hs_meetings
    left join engagement_deals
        on engagement_deals.from_object_type = 'meeting' and hs_meetings.meeting_id = engagement_deals.from_id

),

unioned as (

    select * from sf_activities
    union all
    select * from hs_activities

),

final as (

    select
        unioned.activity_id,
        unioned.source_system,
        unioned.activity_type,
        coalesce(owners.owner_id, unioned.source_owner_id) as owner_id,
        unioned.occurred_at,
        coalesce(unioned.is_completed, false) as is_completed,
        opportunities.opportunity_id,
        unioned.duration_minutes::numeric as duration_minutes,
        unioned.is_opened,
        unioned.is_replied
    from unioned
    left join owners
        on unioned.source_system = owners.source_system
        and unioned.source_owner_id = owners.source_owner_id
    left join opportunities on unioned.opportunity_ref = opportunities.opportunity_id
    where unioned.activity_type is not null
        and unioned.occurred_at is not null

)

select * from final
