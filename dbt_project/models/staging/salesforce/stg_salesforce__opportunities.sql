{{ config(materialized='incremental', unique_key='opportunity_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as opportunity_id,

        ---------- foreign keys
        nullif(fields->>'AccountId', '') as account_id,
        nullif(fields->>'OwnerId', '') as owner_id,
        nullif(fields->>'CampaignId', '') as campaign_id,
        nullif(fields->>'ContactId', '') as contact_id,

        ---------- deal
        fields->>'Name' as opportunity_name,
        fields->>'StageName' as stage_name,
        {{ to_num("fields->>'Amount'") }} as amount,
        {{ to_num("fields->>'Probability'") }} as probability_pct,
        {{ to_num("fields->>'ExpectedRevenue'") }} as expected_revenue,
        {{ to_date("fields->>'CloseDate'") }} as close_date,
        coalesce((fields->>'IsClosed')::boolean, false) as is_closed,
        coalesce((fields->>'IsWon')::boolean, false) as is_won,
        fields->>'ForecastCategoryName' as forecast_category,
        fields->>'Type' as opportunity_type,
        fields->>'LeadSource' as lead_source,
        fields->>'CurrencyIsoCode' as currency,
        fields->>'Competitor__c' as competitor,
        fields->>'Region__c' as region,
        fields->>'Segment__c' as segment,

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
