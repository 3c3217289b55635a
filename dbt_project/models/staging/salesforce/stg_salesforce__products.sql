{{ config(materialized='incremental', unique_key='product_id') }}

with source as (

    {{ incremental_raw('salesforce', 'product2') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as product_id,

        ---------- product
        fields->>'Name' as product_name,
        fields->>'ProductCode' as product_code,
        fields->>'Family' as product_family,
        coalesce((fields->>'IsActive')::boolean, false) as is_active,

        ---------- timestamps
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,
        {{ to_ts("fields->>'SystemModstamp'") }} as system_modstamp,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
