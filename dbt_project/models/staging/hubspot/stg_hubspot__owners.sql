{{ config(materialized='incremental', unique_key='owner_id') }}

with source as (

    {{ incremental_raw('hubspot', 'owners') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as owner_id,

        ---------- owner
        fields->>'email' as email,
        fields->>'firstName' as first_name,
        fields->>'lastName' as last_name,
        nullif(fields->>'userId', '') as user_id,
        fields->>'type' as owner_type,
        coalesce((fields->>'archived')::boolean, false) as is_archived,

        ---------- timestamps
        {{ to_ts("fields->>'createdAt'") }} as created_at,
        {{ to_ts("fields->>'updatedAt'") }} as updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
