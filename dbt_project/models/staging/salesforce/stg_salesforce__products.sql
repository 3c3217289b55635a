{{ config(materialized='incremental', unique_key='product_id') }}

with source as (

    {{ incremental_raw('salesforce', 'product2') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as product_id,

        ---------- product
        record->>'Name' as product_name,
        record->>'ProductCode' as product_code,
        record->>'Family' as product_family,
        coalesce((record->>'IsActive')::boolean, false) as is_active,

        ---------- timestamps
        {{ to_ts("record->>'CreatedDate'") }} as created_at,
        {{ to_ts("record->>'SystemModstamp'") }} as system_modstamp,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
