{{ config(materialized='incremental', unique_key='line_item_id') }}

with source as (

    {{ incremental_raw('hubspot', 'line_items') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as line_item_id,

        ---------- foreign keys
        nullif(record->'properties'->>'hs_product_id', '') as product_id,

        ---------- line
        record->'properties'->>'name' as line_name,
        record->'properties'->>'hs_sku' as sku,
        {{ to_num("record->'properties'->>'quantity'") }} as quantity,
        {{ to_num("record->'properties'->>'price'") }} as unit_price,
        {{ to_num("record->'properties'->>'amount'") }} as amount,
        record->'properties'->>'fh_product_family' as product_family,

        ---------- timestamps
        {{ to_ts("record->'properties'->>'createdate'") }} as created_at,
        {{ to_ts("record->'properties'->>'hs_lastmodifieddate'") }} as last_modified_at,
        {{ to_ts("record->>'updatedAt'") }} as object_updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
