{{ config(materialized='incremental', unique_key='lead_id') }}

with source as (

    {{ incremental_raw('salesforce', 'lead') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as lead_id,

        ---------- foreign keys
        nullif(record->>'OwnerId', '') as owner_id,
        nullif(record->>'MasterRecordId', '') as master_record_id,
        nullif(record->>'ConvertedAccountId', '') as converted_account_id,
        nullif(record->>'ConvertedContactId', '') as converted_contact_id,
        nullif(record->>'ConvertedOpportunityId', '') as converted_opportunity_id,

        ---------- person
        record->>'Email' as email,
        record->>'FirstName' as first_name,
        record->>'LastName' as last_name,
        record->>'Phone' as phone,
        record->>'Title' as title,
        record->>'Company' as company_name,
        record->>'Website' as website,
        record->>'Industry' as industry,
        {{ to_num("record->>'NumberOfEmployees'") }}::bigint as number_of_employees,
        record->>'Country' as country,
        record->>'Region__c' as region,
        record->>'Segment__c' as segment,

        ---------- funnel
        record->>'Status' as status,
        record->>'LeadSource' as lead_source,
        coalesce((record->>'IsConverted')::boolean, false) as is_converted,
        {{ to_date("record->>'ConvertedDate'") }} as converted_date,

        ---------- timestamps
        {{ to_ts("record->>'CreatedDate'") }} as created_at,
        {{ to_ts("record->>'LastModifiedDate'") }} as last_modified_at,
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
