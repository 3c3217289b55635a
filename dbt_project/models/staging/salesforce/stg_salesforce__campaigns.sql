{{ config(materialized='incremental', unique_key='campaign_id') }}

with source as (

    {{ incremental_raw('salesforce', 'campaign') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as campaign_id,

        ---------- foreign keys
        nullif(record->>'OwnerId', '') as owner_id,
        nullif(record->>'ParentId', '') as parent_campaign_id,

        ---------- campaign
        record->>'Name' as campaign_name,
        record->>'Type' as campaign_type,
        record->>'Status' as status,
        coalesce((record->>'IsActive')::boolean, false) as is_active,
        {{ to_date("record->>'StartDate'") }} as start_date,
        {{ to_date("record->>'EndDate'") }} as end_date,
        {{ to_num("record->>'BudgetedCost'") }} as budgeted_cost,
        {{ to_num("record->>'ActualCost'") }} as actual_cost,
        {{ to_num("record->>'ExpectedRevenue'") }} as expected_revenue,
        {{ to_num("record->>'NumberSent'") }} as number_sent,

        ---------- timestamps
        {{ to_ts("record->>'CreatedDate'") }} as created_at,
        {{ to_ts("record->>'LastModifiedDate'") }} as last_modified_at,
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
