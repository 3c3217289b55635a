{{ config(materialized='incremental', unique_key='contact_id') }}

with source as (

    {{ incremental_raw('salesforce', 'contact') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as contact_id,

        ---------- foreign keys
        nullif(fields->>'AccountId', '') as account_id,
        nullif(fields->>'OwnerId', '') as owner_id,
        nullif(fields->>'MasterRecordId', '') as master_record_id,

        ---------- person
        fields->>'Email' as email,
        fields->>'FirstName' as first_name,
        fields->>'LastName' as last_name,
        fields->>'Phone' as phone,
        fields->>'Title' as title,
        fields->>'MailingCountry' as country,
        fields->>'Region__c' as region,
        fields->>'Segment__c' as segment,

        ---------- funnel
        fields->>'LeadSource' as lead_source,

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
