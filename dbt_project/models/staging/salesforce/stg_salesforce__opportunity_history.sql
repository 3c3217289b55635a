{{ config(materialized='incremental', unique_key='opportunity_history_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity_history') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as opportunity_history_id,

        ---------- foreign keys
        nullif(fields->>'OpportunityId', '') as opportunity_id,
        nullif(fields->>'CreatedById', '') as created_by_id,

        ---------- values
        fields->>'StageName' as stage_name,
        {{ to_num("fields->>'Amount'") }} as amount,
        {{ to_num("fields->>'Probability'") }} as probability_pct,
        {{ to_date("fields->>'CloseDate'") }} as close_date,
        fields->>'ForecastCategory' as forecast_category,

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
