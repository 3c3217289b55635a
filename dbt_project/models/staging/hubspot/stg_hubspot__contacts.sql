{{ config(materialized='incremental', unique_key='contact_id') }}

with source as (

    {{ incremental_raw('hubspot', 'contacts') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as contact_id,

        ---------- foreign keys
        nullif(record->'properties'->>'hubspot_owner_id', '') as owner_id,
        nullif(record->'properties'->>'associatedcompanyid', '') as associated_company_id,

        ---------- person
        record->'properties'->>'email' as email,
        record->'properties'->>'firstname' as first_name,
        record->'properties'->>'lastname' as last_name,
        record->'properties'->>'phone' as phone,
        record->'properties'->>'jobtitle' as job_title,
        record->'properties'->>'company' as company_name,
        record->'properties'->>'country' as country,
        record->'properties'->>'fh_segment' as segment,
        record->'properties'->>'hs_additional_emails' as additional_emails,

        ---------- funnel
        record->'properties'->>'lifecyclestage' as lifecycle_stage,
        record->'properties'->>'hs_lead_status' as lead_status,
        record->'properties'->>'hs_analytics_source' as analytics_source,
        record->'properties'->>'hs_analytics_source_data_1' as analytics_source_data_1,
        record->'properties'->>'hs_analytics_source_data_2' as analytics_source_data_2,
        record->'properties'->>'first_conversion_event_name' as first_conversion_event_name,
        {{ to_ts("record->'properties'->>'first_conversion_date'") }} as first_conversion_at,
        record->'properties'->>'recent_conversion_event_name' as recent_conversion_event_name,
        {{ to_ts("record->'properties'->>'recent_conversion_date'") }} as recent_conversion_at,
        {{ to_num("record->'properties'->>'num_conversion_events'") }}::bigint as num_conversion_events,
        record->'properties'->>'hs_merged_object_ids' as merged_object_ids,

        ---------- behaviour
        {{ to_num("record->'properties'->>'hs_analytics_num_page_views'") }} as page_views,
        {{ to_num("record->'properties'->>'hs_analytics_num_visits'") }} as visits,
        {{ to_ts("record->'properties'->>'hs_analytics_last_visit_timestamp'") }} as last_visit_at,
        {{ to_num("record->'properties'->>'hs_email_open'") }} as marketing_emails_opened,
        {{ to_num("record->'properties'->>'hs_email_click'") }} as marketing_emails_clicked,
        {{ to_ts("record->'properties'->>'hs_email_last_open_date'") }} as last_email_open_at,
        {{ to_ts("record->'properties'->>'hs_email_last_click_date'") }} as last_email_click_at,

        ---------- timestamps
        {{ to_ts("record->'properties'->>'createdate'") }} as created_at,
        {{ to_ts("record->'properties'->>'lastmodifieddate'") }} as last_modified_at,
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
