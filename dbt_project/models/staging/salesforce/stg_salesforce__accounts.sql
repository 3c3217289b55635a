{{ config(materialized='incremental', unique_key='account_id') }}

with source as (

    {{ incremental_raw('salesforce', 'account') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as account_id,

        ---------- foreign keys
        nullif(record->>'OwnerId', '') as owner_id,

        ---------- company
        record->>'Name' as account_name,
        record->>'Website' as website,
        record->>'Industry' as industry,
        record->>'Type' as account_type,
        {{ to_num("record->>'NumberOfEmployees'") }}::bigint as number_of_employees,
        {{ to_num("record->>'AnnualRevenue'") }} as annual_revenue,
        record->>'BillingCountry' as billing_country,
        record->>'Region__c' as region,
        record->>'Segment__c' as segment,
        record->>'Partner_Tier__c' as partner_tier,

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
