{{ config(
    materialized='incremental',
    unique_key='activity_id'
) }}

{#-
    One row per Salesforce Task / Event and HubSpot call / email / meeting, typed from its own record
    alone (deleted ones flagged, kept so an incremental run can replace them). Reading the wide
    staged activity tables is the costly part of int_activities, so this part is incremental: per
    source object, only the records extracted since that object's newest already processed are
    re-read. What depends on other objects (owner, live opportunity, deal association, "completed
    as of the run" for meetings) is resolved in int_activities.
-#}

with stg_salesforce__tasks as (

    select * from {{ ref('stg_salesforce__tasks') }}

),

stg_salesforce__events as (

    select * from {{ ref('stg_salesforce__events') }}

),

stg_hubspot__calls as (

    select * from {{ ref('stg_hubspot__calls') }}

),

stg_hubspot__emails as (

    select * from {{ ref('stg_hubspot__emails') }}

),

stg_hubspot__meetings as (

    select * from {{ ref('stg_hubspot__meetings') }}

),

tasks as (

    select * from stg_salesforce__tasks
    where {{ extracted_since_last_run(of_rows="source_object = 'sf_task'") }}

),

events as (

    select * from stg_salesforce__events
    where {{ extracted_since_last_run(of_rows="source_object = 'sf_event'") }}

),

hs_calls as (

    select * from stg_hubspot__calls
    where {{ extracted_since_last_run(of_rows="source_object = 'hs_call'") }}

),

hs_emails as (

    select * from stg_hubspot__emails
    where {{ extracted_since_last_run(of_rows="source_object = 'hs_email'") }}

),

hs_meetings as (

    select * from stg_hubspot__meetings
    where {{ extracted_since_last_run(of_rows="source_object = 'hs_meeting'") }}

),

sf_activities as (

    select
        'sf_task:' || task_id as activity_id,
        'sf_task' as source_object,
        task_id as source_id,
        'salesforce' as source_system,
        case lower(coalesce(task_subtype, task_type))
            when 'call' then 'call'
            when 'email' then 'email'
            when 'listemail' then 'email'
        end as activity_type,
        owner_id as source_owner_id,
        coalesce((activity_date::text || 'T00:00:00Z')::timestamptz, created_at) as occurred_at,
        is_closed as is_completed,
        null::timestamptz as completes_at,
        what_id as opportunity_ref,
        case when lower(coalesce(task_subtype, task_type)) = 'call' then call_duration_seconds / 60.0 end
            as duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied,
        is_deleted,
        _extracted_at
    from tasks

    union all

    select
        'sf_event:' || event_id as activity_id,
        'sf_event' as source_object,
        event_id as source_id,
        'salesforce' as source_system,
        'meeting' as activity_type,
        owner_id as source_owner_id,
        coalesce(start_at, activity_at, (activity_date::text || 'T00:00:00Z')::timestamptz, created_at)
            as occurred_at,
        -- completed once it has ended, which int_activities judges as of the run
        null::boolean as is_completed,
        coalesce(end_at, start_at, activity_at) as completes_at,
        what_id as opportunity_ref,
        duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied,
        is_deleted,
        _extracted_at
    from events

),

hs_activities as (

    select
        'hs_call:' || call_id as activity_id,
        'hs_call' as source_object,
        call_id as source_id,
        'hubspot' as source_system,
        'call' as activity_type,
        owner_id as source_owner_id,
        coalesce(occurred_at, created_at, object_created_at) as occurred_at,
        upper(coalesce(call_status, '')) = 'COMPLETED' as is_completed,
        null::timestamptz as completes_at,
        null::text as opportunity_ref,
        duration_ms / 60000.0 as duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied,
        is_deleted,
        _extracted_at
    from hs_calls

    union all

    select
        'hs_email:' || email_id as activity_id,
        'hs_email' as source_object,
        email_id as source_id,
        'hubspot' as source_system,
        -- incoming replies are the prospect's, not a rep activity
        case when upper(coalesce(direction, 'EMAIL')) <> 'INCOMING_EMAIL' then 'email' end as activity_type,
        owner_id as source_owner_id,
        coalesce(occurred_at, created_at, object_created_at) as occurred_at,
        upper(coalesce(email_status, '')) = 'SENT' as is_completed,
        null::timestamptz as completes_at,
        null::text as opportunity_ref,
        null::numeric as duration_minutes,
        coalesce(open_count, 0) > 0 as is_opened,
        coalesce(reply_count, 0) > 0 as is_replied,
        is_deleted,
        _extracted_at
    from hs_emails

    union all

    select
        'hs_meeting:' || meeting_id as activity_id,
        'hs_meeting' as source_object,
        meeting_id as source_id,
        'hubspot' as source_system,
        'meeting' as activity_type,
        owner_id as source_owner_id,
        coalesce(start_at, occurred_at, created_at) as occurred_at,
        upper(coalesce(outcome, '')) = 'COMPLETED' as is_completed,
        null::timestamptz as completes_at,
        null::text as opportunity_ref,
        {{ days_between('start_at', 'end_at') }} * 1440 as duration_minutes,
        null::boolean as is_opened,
        null::boolean as is_replied,
        is_deleted,
        _extracted_at
    from hs_meetings

),

final as (

    select * from sf_activities
    union all
    select * from hs_activities

)

select * from final
