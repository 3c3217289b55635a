{{ config(materialized='incremental', unique_key='campaign_member_id') }}

with source as (

    {{ incremental_raw('salesforce', 'campaign_member') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as campaign_member_id,

        ---------- foreign keys
        nullif(record->>'CampaignId', '') as campaign_id,
        nullif(record->>'LeadId', '') as lead_id,
        nullif(record->>'ContactId', '') as contact_id,
        nullif(record->>'LeadOrContactId', '') as lead_or_contact_id,

        ---------- membership
        record->>'Status' as status,
        coalesce((record->>'HasResponded')::boolean, false) as has_responded,
        {{ to_date("record->>'FirstRespondedDate'") }} as first_responded_date,

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
