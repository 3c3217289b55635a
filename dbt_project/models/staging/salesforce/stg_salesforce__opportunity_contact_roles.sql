{{ config(materialized='incremental', unique_key='opportunity_contact_role_id') }}

with source as (

    {{ incremental_raw('salesforce', 'opportunity_contact_role') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as opportunity_contact_role_id,

        ---------- foreign keys
        nullif(fields->>'OpportunityId', '') as opportunity_id,
        nullif(fields->>'ContactId', '') as contact_id,

        ---------- role
        fields->>'Role' as role,
        coalesce((fields->>'IsPrimary')::boolean, false) as is_primary,

        ---------- timestamps
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,
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
