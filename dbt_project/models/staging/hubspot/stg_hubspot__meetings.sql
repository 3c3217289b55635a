{{ config(materialized='incremental', unique_key='meeting_id') }}

with source as (

    {{ incremental_raw('hubspot', 'meetings') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as meeting_id,

        ---------- foreign keys
        nullif(properties->>'hubspot_owner_id', '') as owner_id,

        ---------- meeting
        properties->>'hs_meeting_title' as title,
        properties->>'hs_meeting_outcome' as outcome,

        ---------- timestamps
        {{ to_ts("properties->>'hs_timestamp'") }} as occurred_at,
        {{ to_ts("properties->>'hs_meeting_start_time'") }} as start_at,
        {{ to_ts("properties->>'hs_meeting_end_time'") }} as end_at,
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
