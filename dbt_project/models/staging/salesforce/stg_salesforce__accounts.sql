{{ config(materialized='incremental', unique_key='account_id') }}

with source as (

    {{ incremental_raw('salesforce', 'account') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as account_id,

        ---------- foreign keys
        nullif(fields->>'OwnerId', '') as owner_id,

        ---------- company
        fields->>'Name' as account_name,
        fields->>'Website' as website,
        fields->>'Industry' as industry,
        fields->>'Type' as account_type,
        {{ to_num("fields->>'NumberOfEmployees'") }}::bigint as number_of_employees,
        {{ to_num("fields->>'AnnualRevenue'") }} as annual_revenue,
        fields->>'BillingCountry' as billing_country,
        fields->>'Region__c' as region,
        fields->>'Segment__c' as segment,
        fields->>'Partner_Tier__c' as partner_tier,

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
