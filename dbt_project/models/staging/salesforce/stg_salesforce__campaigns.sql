{{ config(materialized='incremental', unique_key='campaign_id') }}

with source as (

    {{ incremental_raw('salesforce', 'campaign') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as campaign_id,

        ---------- foreign keys
        nullif(fields->>'OwnerId', '') as owner_id,
        nullif(fields->>'ParentId', '') as parent_campaign_id,

        ---------- campaign
        fields->>'Name' as campaign_name,
        fields->>'Type' as campaign_type,
        fields->>'Status' as status,
        coalesce((fields->>'IsActive')::boolean, false) as is_active,
        {{ to_date("fields->>'StartDate'") }} as start_date,
        {{ to_date("fields->>'EndDate'") }} as end_date,
        {{ to_num("fields->>'BudgetedCost'") }} as budgeted_cost,
        {{ to_num("fields->>'ActualCost'") }} as actual_cost,
        upper(nullif(fields->>'CurrencyIsoCode', '')) as currency,
        {{ to_num("fields->>'ExpectedRevenue'") }} as expected_revenue,
        {{ to_num("fields->>'NumberSent'") }} as number_sent,

        ---------- timestamps
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,
        {{ to_ts("fields->>'LastModifiedDate'") }} as last_modified_at,
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
