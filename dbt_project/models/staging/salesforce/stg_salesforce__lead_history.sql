{{ config(materialized='incremental', unique_key='lead_history_id') }}

with source as (

    {{ incremental_raw('salesforce', 'lead_history') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as lead_history_id,

        ---------- foreign keys
        nullif(fields->>'LeadId', '') as lead_id,
        nullif(fields->>'CreatedById', '') as created_by_id,

        ---------- change
        fields->>'Field' as field_name,
        fields->>'DataType' as data_type,
        fields->>'OldValue' as old_value,
        fields->>'NewValue' as new_value,

        ---------- timestamps
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
