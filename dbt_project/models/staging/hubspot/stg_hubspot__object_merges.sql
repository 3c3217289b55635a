{{ config(materialized='incremental', unique_key='merge_id') }}

with source as (

    {{ incremental_raw('hubspot', 'object_merges') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as merge_id,

        ---------- foreign keys
        {{ hubspot_object_type("fields->>'objectType'") }} as object_type,
        nullif(fields->>'primaryId', '') as primary_id,
        nullif(fields->>'mergedId', '') as merged_id,

        ---------- timestamps
        {{ to_ts("fields->>'mergedAt'") }} as merged_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
