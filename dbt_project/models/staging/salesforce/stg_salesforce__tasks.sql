{{ config(materialized='incremental', unique_key='task_id') }}

with source as (

    {{ incremental_raw('salesforce', 'task') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as task_id,

        ---------- foreign keys
        nullif(record->>'WhoId', '') as who_id,
        nullif(record->>'WhatId', '') as what_id,
        nullif(record->>'AccountId', '') as account_id,
        nullif(record->>'OwnerId', '') as owner_id,

        ---------- activity
        record->>'Subject' as subject,
        record->>'Type' as task_type,
        record->>'TaskSubtype' as task_subtype,
        record->>'Status' as status,
        record->>'Priority' as priority,
        coalesce((record->>'IsClosed')::boolean, false) as is_closed,
        coalesce((record->>'IsArchived')::boolean, false) as is_archived,
        {{ to_date("record->>'ActivityDate'") }} as activity_date,
        record->>'CallType' as call_type,
        {{ to_num("record->>'CallDurationInSeconds'") }} as call_duration_seconds,
        record->>'CallDisposition' as call_disposition,

        ---------- timestamps
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
