{{ config(materialized='incremental', unique_key='company_id') }}

with source as (

    {{ incremental_raw('hubspot', 'companies') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as company_id,

        ---------- foreign keys
        nullif(properties->>'hubspot_owner_id', '') as owner_id,

        ---------- company
        properties->>'name' as company_name,
        properties->>'domain' as domain,
        properties->>'website' as website,
        properties->>'industry' as industry,
        {{ to_num("properties->>'numberofemployees'") }}::bigint as number_of_employees,
        {{ to_num("properties->>'annualrevenue'") }} as annual_revenue,
        properties->>'country' as country,
        properties->>'fh_region' as region,
        properties->>'fh_segment' as segment,
        properties->>'fh_partner_tier' as partner_tier,
        properties->>'lifecyclestage' as lifecycle_stage,

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
