{{ config(materialized='incremental', unique_key='opportunity_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as opportunity_id,

        ---------- foreign keys
        nullif(record->>'AccountId', '') as account_id,
        nullif(record->>'OwnerId', '') as owner_id,
        nullif(record->>'CampaignId', '') as campaign_id,
        nullif(record->>'ContactId', '') as contact_id,

        ---------- deal
        record->>'Name' as opportunity_name,
        record->>'StageName' as stage_name,
        {{ to_num("record->>'Amount'") }} as amount,
        {{ to_num("record->>'Probability'") }} as probability_pct,
        {{ to_num("record->>'ExpectedRevenue'") }} as expected_revenue,
        {{ to_date("record->>'CloseDate'") }} as close_date,
        coalesce((record->>'IsClosed')::boolean, false) as is_closed,
        coalesce((record->>'IsWon')::boolean, false) as is_won,
        record->>'ForecastCategoryName' as forecast_category,
        record->>'Type' as opportunity_type,
        record->>'LeadSource' as lead_source,
        record->>'CurrencyIsoCode' as currency,
        record->>'Competitor__c' as competitor,
        record->>'Region__c' as region,
        record->>'Segment__c' as segment,

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
