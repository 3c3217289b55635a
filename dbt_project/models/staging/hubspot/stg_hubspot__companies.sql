{{ config(materialized='incremental', unique_key='company_id') }}

with source as (

    {{ incremental_raw('hubspot', 'companies') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as company_id,

        ---------- foreign keys
        nullif(record->'properties'->>'hubspot_owner_id', '') as owner_id,

        ---------- company
        record->'properties'->>'name' as company_name,
        record->'properties'->>'domain' as domain,
        record->'properties'->>'website' as website,
        record->'properties'->>'industry' as industry,
        {{ to_num("record->'properties'->>'numberofemployees'") }}::bigint as number_of_employees,
        {{ to_num("record->'properties'->>'annualrevenue'") }} as annual_revenue,
        record->'properties'->>'country' as country,
        record->'properties'->>'fh_region' as region,
        record->'properties'->>'fh_segment' as segment,
        record->'properties'->>'fh_partner_tier' as partner_tier,
        record->'properties'->>'lifecyclestage' as lifecycle_stage,

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
