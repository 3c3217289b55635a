{{ config(materialized='incremental', unique_key='contact_id') }}

with source as (

    {{ incremental_raw('hubspot', 'contacts') }}

),

latest as (

    {{ latest_version('source', properties=true) }}

),

final as (

    select
        ---------- ids
        id as contact_id,

        ---------- foreign keys
        nullif(properties->>'hubspot_owner_id', '') as owner_id,
        nullif(properties->>'associatedcompanyid', '') as associated_company_id,

        ---------- person
        properties->>'email' as email,
        properties->>'firstname' as first_name,
        properties->>'lastname' as last_name,
        properties->>'phone' as phone,
        properties->>'jobtitle' as job_title,
        properties->>'company' as company_name,
        properties->>'country' as country,
        properties->>'fh_segment' as segment,
        properties->>'hs_additional_emails' as additional_emails,

        ---------- funnel
        properties->>'lifecyclestage' as lifecycle_stage,
        properties->>'hs_lead_status' as lead_status,
        properties->>'hs_analytics_source' as analytics_source,
        properties->>'hs_analytics_source_data_1' as analytics_source_data_1,
        properties->>'hs_analytics_source_data_2' as analytics_source_data_2,
        properties->>'first_conversion_event_name' as first_conversion_event_name,
        {{ to_ts("properties->>'first_conversion_date'") }} as first_conversion_at,
        properties->>'recent_conversion_event_name' as recent_conversion_event_name,
        {{ to_ts("properties->>'recent_conversion_date'") }} as recent_conversion_at,
        {{ to_num("properties->>'num_conversion_events'") }}::bigint as num_conversion_events,
        properties->>'hs_merged_object_ids' as merged_object_ids,

        ---------- behaviour
        {{ to_num("properties->>'hs_analytics_num_page_views'") }} as page_views,
        {{ to_num("properties->>'hs_analytics_num_visits'") }} as visits,
        {{ to_ts("properties->>'hs_analytics_last_visit_timestamp'") }} as last_visit_at,
        {{ to_num("properties->>'hs_email_open'") }} as marketing_emails_opened,
        {{ to_num("properties->>'hs_email_click'") }} as marketing_emails_clicked,
        {{ to_ts("properties->>'hs_email_last_open_date'") }} as last_email_open_at,
        {{ to_ts("properties->>'hs_email_last_click_date'") }} as last_email_click_at,

        ---------- timestamps
        {{ to_ts("properties->>'createdate'") }} as created_at,
        {{ to_ts("properties->>'lastmodifieddate'") }} as last_modified_at,
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
