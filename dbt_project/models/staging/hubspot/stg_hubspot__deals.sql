{{ config(materialized='incremental', unique_key='deal_id') }}

with source as (

    {{ incremental_raw('hubspot', 'deals') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as deal_id,

        ---------- foreign keys
        nullif(record->'properties'->>'hubspot_owner_id', '') as owner_id,
        nullif(record->'properties'->>'pipeline', '') as pipeline_id,
        nullif(record->'properties'->>'dealstage', '') as deal_stage_id,

        ---------- deal
        record->'properties'->>'dealname' as deal_name,
        {{ to_num("record->'properties'->>'amount'") }} as amount,
        {{ to_date("record->'properties'->>'closedate'") }} as close_date,
        record->'properties'->>'dealtype' as deal_type,
        {{ to_num("record->'properties'->>'hs_deal_stage_probability'") }} as probability,
        {{ to_bool("record->'properties'->>'hs_is_closed'") }} as is_closed,
        {{ to_bool("record->'properties'->>'hs_is_closed_won'") }} as is_closed_won,
        record->'properties'->>'deal_currency_code' as currency,
        record->'properties'->>'fh_competitor' as competitor,
        record->'properties'->>'fh_region' as region,
        record->'properties'->>'closed_lost_reason' as closed_lost_reason,

        ---------- timestamps
        {{ to_ts("record->'properties'->>'createdate'") }} as created_at,
        {{ to_ts("record->'properties'->>'hs_lastmodifieddate'") }} as last_modified_at,
        {{ to_ts("record->>'createdAt'") }} as object_created_at,
        {{ to_ts("record->>'updatedAt'") }} as object_updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
