{{ config(materialized='incremental', unique_key='campaign_member_id') }}

with source as (

    {{ incremental_raw('salesforce', 'campaign_member') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as campaign_member_id,

        ---------- foreign keys
        nullif(fields->>'CampaignId', '') as campaign_id,
        nullif(fields->>'LeadId', '') as lead_id,
        nullif(fields->>'ContactId', '') as contact_id,
        nullif(fields->>'LeadOrContactId', '') as lead_or_contact_id,

        ---------- membership
        fields->>'Status' as status,
        coalesce((fields->>'HasResponded')::boolean, false) as has_responded,
        {{ to_date("fields->>'FirstRespondedDate'") }} as first_responded_date,

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
