{{ config(materialized='incremental', unique_key='call_id') }}

with source as (

    {{ incremental_raw('hubspot', 'calls') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as call_id,

        ---------- foreign keys
        nullif(record->'properties'->>'hubspot_owner_id', '') as owner_id,

        ---------- call
        record->'properties'->>'hs_call_title' as title,
        record->'properties'->>'hs_call_direction' as direction,
        record->'properties'->>'hs_call_status' as call_status,
        {{ to_num("record->'properties'->>'hs_call_duration'") }} as duration_ms,
        record->'properties'->>'hs_call_disposition' as disposition,

        ---------- timestamps
        {{ to_ts("record->'properties'->>'hs_timestamp'") }} as occurred_at,
        {{ to_ts("record->'properties'->>'hs_createdate'") }} as created_at,
        {{ to_ts("record->>'createdAt'") }} as object_created_at,
        {{ to_ts("record->>'updatedAt'") }} as object_updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
