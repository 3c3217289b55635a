{{ config(materialized='incremental', unique_key='opportunity_line_item_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity_line_item') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as opportunity_line_item_id,

        ---------- foreign keys
        nullif(record->>'OpportunityId', '') as opportunity_id,
        nullif(record->>'Product2Id', '') as product_id,
        nullif(record->>'PricebookEntryId', '') as pricebook_entry_id,

        ---------- line
        record->>'Name' as line_name,
        record->>'ProductCode' as product_code,
        {{ to_num("record->>'Quantity'") }} as quantity,
        {{ to_num("record->>'UnitPrice'") }} as unit_price,
        {{ to_num("record->>'ListPrice'") }} as list_price,
        {{ to_num("record->>'TotalPrice'") }} as total_price,
        {{ to_date("record->>'ServiceDate'") }} as service_date,

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
