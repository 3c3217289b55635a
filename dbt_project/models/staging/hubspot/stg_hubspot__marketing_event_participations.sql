{{ config(materialized='incremental', unique_key='participation_id') }}

with source as (

    {{ incremental_raw('hubspot', 'marketing_event_participations') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

renamed as (

    select
        ---------- ids
        id as participation_id,

        ---------- foreign keys
        nullif(coalesce(record->>'marketingEventId', record->'associations'->'marketingEvent'->>'marketingEventId', record->'associations'->'marketingEvent'->>'id'), '') as marketing_event_id,
        nullif(coalesce(record->>'externalEventId', record->'associations'->'marketingEvent'->>'externalEventId'), '') as external_event_id,
        nullif(coalesce(record->>'contactId', record->'associations'->'contact'->>'contactId', record->'associations'->'contact'->>'id'), '') as contact_id,

        ---------- participation
        properties->>'attendanceState' as attendance_state,

        ---------- timestamps
        {{ to_ts("properties->>'occurredAt'") }} as occurred_at,
        {{ to_ts("record->>'createdAt'") }} as created_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
