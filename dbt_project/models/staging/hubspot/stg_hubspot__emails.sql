{{ config(materialized='incremental', unique_key='email_id') }}

with source as (

    {{ incremental_raw('hubspot', 'emails') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as email_id,

        ---------- foreign keys
        nullif(properties->>'hubspot_owner_id', '') as owner_id,

        ---------- email
        properties->>'hs_email_subject' as subject,
        properties->>'hs_email_direction' as direction,
        properties->>'hs_email_status' as email_status,
        {{ to_num("properties->>'hs_email_open_count'") }} as open_count,
        {{ to_num("properties->>'hs_email_click_count'") }} as click_count,
        {{ to_num("properties->>'hs_email_reply_count'") }} as reply_count,

        ---------- timestamps
        {{ to_ts("properties->>'hs_timestamp'") }} as occurred_at,
        {{ to_ts("properties->>'hs_createdate'") }} as created_at,
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
