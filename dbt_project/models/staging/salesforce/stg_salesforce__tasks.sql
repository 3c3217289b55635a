{{ config(materialized='incremental', unique_key='task_id') }}

with source as (

    {{ incremental_raw('salesforce', 'task') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as task_id,

        ---------- foreign keys
        nullif(fields->>'WhoId', '') as who_id,
        nullif(fields->>'WhatId', '') as what_id,
        nullif(fields->>'AccountId', '') as account_id,
        nullif(fields->>'OwnerId', '') as owner_id,

        ---------- activity
        fields->>'Subject' as subject,
        fields->>'Type' as task_type,
        fields->>'TaskSubtype' as task_subtype,
        fields->>'Status' as status,
        fields->>'Priority' as priority,
        coalesce((fields->>'IsClosed')::boolean, false) as is_closed,
        coalesce((fields->>'IsArchived')::boolean, false) as is_archived,
        {{ to_date("fields->>'ActivityDate'") }} as activity_date,
        fields->>'CallType' as call_type,
        {{ to_num("fields->>'CallDurationInSeconds'") }} as call_duration_seconds,
        fields->>'CallDisposition' as call_disposition,

        ---------- timestamps
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
