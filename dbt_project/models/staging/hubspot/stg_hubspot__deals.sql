{{ config(materialized='incremental', unique_key='deal_id') }}

with source as (

    {{ incremental_raw('hubspot', 'deals') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as deal_id,

        ---------- foreign keys
        nullif(properties->>'hubspot_owner_id', '') as owner_id,
        nullif(properties->>'pipeline', '') as pipeline_id,
        nullif(properties->>'dealstage', '') as deal_stage_id,

        ---------- deal
        properties->>'dealname' as deal_name,
        {{ to_num("properties->>'amount'") }} as amount,
        {{ to_num("properties->>'amount_in_home_currency'") }} as amount_in_home_currency,
        {{ to_date("properties->>'closedate'") }} as close_date,
        properties->>'dealtype' as deal_type,
        {{ to_num("properties->>'hs_deal_stage_probability'") }} as probability,
        {{ to_bool("properties->>'hs_is_closed'") }} as is_closed,
        {{ to_bool("properties->>'hs_is_closed_won'") }} as is_closed_won,
        properties->>'deal_currency_code' as currency,
        properties->>'fh_competitor' as competitor,
        properties->>'fh_region' as region,
        properties->>'closed_lost_reason' as closed_lost_reason,

        ---------- timestamps
        {{ to_ts("properties->>'createdate'") }} as created_at,
        {{ to_ts("properties->>'hs_lastmodifieddate'") }} as last_modified_at,
        {{ to_ts("fields->>'createdAt'") }} as object_created_at,
        {{ to_ts("fields->>'updatedAt'") }} as object_updated_at,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
