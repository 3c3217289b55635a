{{ config(materialized='incremental', unique_key='participation_id') }}

with source as (

    {{ incremental_raw('hubspot', 'marketing_event_participations') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as participation_id,

        ---------- foreign keys
        nullif(coalesce(fields->>'marketingEventId', fields->'associations'->'marketingEvent'->>'marketingEventId', fields->'associations'->'marketingEvent'->>'id'), '') as marketing_event_id,
        nullif(coalesce(fields->>'externalEventId', fields->'associations'->'marketingEvent'->>'externalEventId'), '') as external_event_id,
        nullif(coalesce(fields->>'contactId', fields->'associations'->'contact'->>'contactId', fields->'associations'->'contact'->>'id'), '') as contact_id,

        ---------- participation
        properties->>'attendanceState' as attendance_state,

        ---------- timestamps
        {{ to_ts("properties->>'occurredAt'") }} as occurred_at,
        {{ to_ts("fields->>'createdAt'") }} as created_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
