{{ config(materialized='incremental', unique_key='opportunity_line_item_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity_line_item') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as opportunity_line_item_id,

        ---------- foreign keys
        nullif(fields->>'OpportunityId', '') as opportunity_id,
        nullif(fields->>'Product2Id', '') as product_id,
        nullif(fields->>'PricebookEntryId', '') as pricebook_entry_id,

        ---------- line
        fields->>'Name' as line_name,
        fields->>'ProductCode' as product_code,
        {{ to_num("fields->>'Quantity'") }} as quantity,
        {{ to_num("fields->>'UnitPrice'") }} as unit_price,
        {{ to_num("fields->>'ListPrice'") }} as list_price,
        {{ to_num("fields->>'TotalPrice'") }} as total_price,
        {{ to_date("fields->>'ServiceDate'") }} as service_date,

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
