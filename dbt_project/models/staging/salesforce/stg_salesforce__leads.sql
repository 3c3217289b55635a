{{ config(materialized='incremental', unique_key='lead_id') }}

with source as (

    {{ incremental_raw('salesforce', 'lead') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as lead_id,

        ---------- foreign keys
        nullif(fields->>'OwnerId', '') as owner_id,
        nullif(fields->>'MasterRecordId', '') as master_record_id,
        nullif(fields->>'ConvertedAccountId', '') as converted_account_id,
        nullif(fields->>'ConvertedContactId', '') as converted_contact_id,
        nullif(fields->>'ConvertedOpportunityId', '') as converted_opportunity_id,

        ---------- person
        fields->>'Email' as email,
        fields->>'FirstName' as first_name,
        fields->>'LastName' as last_name,
        fields->>'Phone' as phone,
        fields->>'Title' as title,
        fields->>'Company' as company_name,
        fields->>'Website' as website,
        fields->>'Industry' as industry,
        {{ to_num("fields->>'NumberOfEmployees'") }}::bigint as number_of_employees,
        fields->>'Country' as country,
        fields->>'Region__c' as region,
        fields->>'Segment__c' as segment,

        ---------- funnel
        fields->>'Status' as status,
        fields->>'LeadSource' as lead_source,
        coalesce((fields->>'IsConverted')::boolean, false) as is_converted,
        {{ to_date("fields->>'ConvertedDate'") }} as converted_date,

        ---------- timestamps
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,
        {{ to_ts("fields->>'LastModifiedDate'") }} as last_modified_at,
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
