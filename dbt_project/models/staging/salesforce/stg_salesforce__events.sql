{{ config(materialized='incremental', unique_key='event_id') }}

with source as (

    {{ incremental_raw('salesforce', 'event') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as event_id,

        ---------- foreign keys
        nullif(record->>'WhoId', '') as who_id,
        nullif(record->>'WhatId', '') as what_id,
        nullif(record->>'AccountId', '') as account_id,
        nullif(record->>'OwnerId', '') as owner_id,

        ---------- activity
        record->>'Subject' as subject,
        record->>'Type' as event_type,
        record->>'EventSubtype' as event_subtype,
        {{ to_date("record->>'ActivityDate'") }} as activity_date,
        {{ to_num("record->>'DurationInMinutes'") }} as duration_minutes,
        coalesce((record->>'IsAllDayEvent')::boolean, false) as is_all_day_event,
        coalesce((record->>'IsArchived')::boolean, false) as is_archived,

        ---------- timestamps
        {{ to_ts("record->>'ActivityDateTime'") }} as activity_at,
        {{ to_ts("record->>'StartDateTime'") }} as start_at,
        {{ to_ts("record->>'EndDateTime'") }} as end_at,
        {{ to_ts("record->>'CreatedDate'") }} as created_at,
        {{ to_ts("record->>'LastModifiedDate'") }} as last_modified_at,
        {{ to_ts("record->>'SystemModstamp'") }} as system_modstamp,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
