{{ config(materialized='incremental', unique_key='contact_id') }}

with source as (

    {{ incremental_raw('salesforce', 'contact') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as contact_id,

        ---------- foreign keys
        nullif(record->>'AccountId', '') as account_id,
        nullif(record->>'OwnerId', '') as owner_id,
        nullif(record->>'MasterRecordId', '') as master_record_id,

        ---------- person
        record->>'Email' as email,
        record->>'FirstName' as first_name,
        record->>'LastName' as last_name,
        record->>'Phone' as phone,
        record->>'Title' as title,
        record->>'MailingCountry' as country,
        record->>'Region__c' as region,
        record->>'Segment__c' as segment,

        ---------- funnel
        record->>'LeadSource' as lead_source,

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
