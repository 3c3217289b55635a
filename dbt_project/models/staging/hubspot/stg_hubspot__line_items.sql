{{ config(materialized='incremental', unique_key='line_item_id') }}

with source as (

    {{ incremental_raw('hubspot', 'line_items') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as line_item_id,

        ---------- foreign keys
        nullif(properties->>'hs_product_id', '') as product_id,

        ---------- line
        properties->>'name' as line_name,
        properties->>'hs_sku' as sku,
        {{ to_num("properties->>'quantity'") }} as quantity,
        {{ to_num("properties->>'price'") }} as unit_price,
        {{ to_num("properties->>'amount'") }} as amount,
        properties->>'fh_product_family' as product_family,

        ---------- timestamps
        {{ to_ts("properties->>'createdate'") }} as created_at,
        {{ to_ts("properties->>'hs_lastmodifieddate'") }} as last_modified_at,
        {{ to_ts("fields->>'updatedAt'") }} as object_updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
