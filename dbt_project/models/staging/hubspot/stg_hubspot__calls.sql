{{ config(materialized='incremental', unique_key='call_id') }}

with source as (

    {{ incremental_raw('hubspot', 'calls') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as call_id,

        ---------- foreign keys
        nullif(properties->>'hubspot_owner_id', '') as owner_id,

        ---------- call
        properties->>'hs_call_title' as title,
        properties->>'hs_call_direction' as direction,
        properties->>'hs_call_status' as call_status,
        {{ to_num("properties->>'hs_call_duration'") }} as duration_ms,
        properties->>'hs_call_disposition' as disposition,

        ---------- timestamps
        {{ to_ts("properties->>'hs_timestamp'") }} as occurred_at,
        {{ to_ts("properties->>'hs_createdate'") }} as created_at,
        {{ to_ts("fields->>'createdAt'") }} as object_created_at,
        {{ to_ts("fields->>'updatedAt'") }} as object_updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
