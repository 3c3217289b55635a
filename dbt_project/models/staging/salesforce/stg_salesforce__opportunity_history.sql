{{ config(materialized='incremental', unique_key='opportunity_history_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity_history') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as opportunity_history_id,

        ---------- foreign keys
        nullif(record->>'OpportunityId', '') as opportunity_id,
        nullif(record->>'CreatedById', '') as created_by_id,

        ---------- values
        record->>'StageName' as stage_name,
        {{ to_num("record->>'Amount'") }} as amount,
        {{ to_num("record->>'Probability'") }} as probability_pct,
        {{ to_date("record->>'CloseDate'") }} as close_date,
        record->>'ForecastCategory' as forecast_category,

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
