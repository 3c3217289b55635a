{#- One row per HubSpot marketing event; `external_event_id` links it to the Salesforce campaign. -#}

{{ config(materialized='incremental', unique_key='marketing_event_id') }}

with source as (

    {{ incremental_raw('hubspot', 'marketing_events') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

renamed as (

    select
        ---------- ids
        id as marketing_event_id,
        nullif(coalesce(record->>'externalEventId', properties->>'externalEventId'), '') as external_event_id,
        nullif(coalesce(record->>'objectId', record->>'id'), '') as object_id,

        ---------- event
        coalesce(record->>'eventName', properties->>'eventName') as event_name,
        coalesce(record->>'eventType', properties->>'eventType') as event_type,
        {{ to_ts("coalesce(record->>'startDateTime', properties->>'startDateTime')") }} as start_at,
        {{ to_ts("coalesce(record->>'endDateTime', properties->>'endDateTime')") }} as end_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
