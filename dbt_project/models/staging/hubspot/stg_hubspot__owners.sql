{{ config(materialized='incremental', unique_key='owner_id') }}

with source as (

    {{ incremental_raw('hubspot', 'owners') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as owner_id,

        ---------- owner
        record->>'email' as email,
        record->>'firstName' as first_name,
        record->>'lastName' as last_name,
        nullif(record->>'userId', '') as user_id,
        record->>'type' as owner_type,
        coalesce((record->>'archived')::boolean, false) as is_archived,

        ---------- timestamps
        {{ to_ts("record->>'createdAt'") }} as created_at,
        {{ to_ts("record->>'updatedAt'") }} as updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
