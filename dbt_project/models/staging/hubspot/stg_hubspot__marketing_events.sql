{#- One row per HubSpot marketing event; `external_event_id` links it to the Salesforce campaign. -#}

{{ config(materialized='incremental', unique_key='marketing_event_id') }}

with source as (

    {{ incremental_raw('hubspot', 'marketing_events') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as marketing_event_id,
        nullif(coalesce(fields->>'externalEventId', properties->>'externalEventId'), '') as external_event_id,
        nullif(coalesce(fields->>'objectId', fields->>'id'), '') as object_id,

        ---------- event
        coalesce(fields->>'eventName', properties->>'eventName') as event_name,
        coalesce(fields->>'eventType', properties->>'eventType') as event_type,
        {{ to_ts("coalesce(fields->>'startDateTime', properties->>'startDateTime')") }} as start_at,
        {{ to_ts("coalesce(fields->>'endDateTime', properties->>'endDateTime')") }} as end_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
