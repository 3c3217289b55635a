{{ config(materialized='incremental', unique_key='event_id') }}

with source as (

    {{ incremental_raw('salesforce', 'event') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as event_id,

        ---------- foreign keys
        nullif(fields->>'WhoId', '') as who_id,
        nullif(fields->>'WhatId', '') as what_id,
        nullif(fields->>'AccountId', '') as account_id,
        nullif(fields->>'OwnerId', '') as owner_id,

        ---------- activity
        fields->>'Subject' as subject,
        fields->>'Type' as event_type,
        fields->>'EventSubtype' as event_subtype,
        {{ to_date("fields->>'ActivityDate'") }} as activity_date,
        {{ to_num("fields->>'DurationInMinutes'") }} as duration_minutes,
        coalesce((fields->>'IsAllDayEvent')::boolean, false) as is_all_day_event,
        coalesce((fields->>'IsArchived')::boolean, false) as is_archived,

        ---------- timestamps
        {{ to_ts("fields->>'ActivityDateTime'") }} as activity_at,
        {{ to_ts("fields->>'StartDateTime'") }} as start_at,
        {{ to_ts("fields->>'EndDateTime'") }} as end_at,
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,
        {{ to_ts("fields->>'LastModifiedDate'") }} as last_modified_at,
        {{ to_ts("fields->>'SystemModstamp'") }} as system_modstamp,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
