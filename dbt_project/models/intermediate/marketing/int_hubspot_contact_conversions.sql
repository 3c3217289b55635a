{{ config(
    materialized='incremental',
    unique_key='contact_id'
) }}

{#-
    Every form conversion of a HubSpot contact: each value of `recent_conversion_event_name` in its
    property history, plus the first / recent conversion properties (for contacts read without
    history); the value names the campaign. Unpacking the history is the costly part of the
    touchpoints and depends on the contact's own record alone: so it is incremental, recomputed only
    for contacts whose staged version was extracted since the last run. A contact without any
    conversion keeps one row with nulls, so an incremental run also replaces a contact whose
    conversions all went away.
-#}

with stg_hubspot__contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

{#- not materialized: read several times, and materialising it would copy every contact's record -#}
hs_contacts as not materialized (

    select
        contact_id,
        record,
        first_conversion_event_name,
        first_conversion_at,
        recent_conversion_event_name,
        recent_conversion_at,
        _extracted_at
    from stg_hubspot__contacts
    where {{ extracted_since_last_run() }}

),

conversions as (

    select
        hs_contacts.contact_id,
        conversion->>'value' as campaign_name,
        {{ to_ts("conversion->>'timestamp'") }} as converted_at
    from hs_contacts
    cross join lateral jsonb_array_elements(
        coalesce(hs_contacts.record->'propertiesWithHistory'->'recent_conversion_event_name', '[]'::jsonb)
    ) as conversion
    where nullif(conversion->>'value', '') is not null

    union

    select contact_id, first_conversion_event_name, first_conversion_at
    from hs_contacts
    where first_conversion_event_name is not null and first_conversion_at is not null

    union

    select contact_id, recent_conversion_event_name, recent_conversion_at
    from hs_contacts
    where recent_conversion_event_name is not null and recent_conversion_at is not null

),

final as (

    select
        hs_contacts.contact_id,
        conversions.campaign_name,
        conversions.converted_at,
        hs_contacts._extracted_at
    from hs_contacts
    left join conversions on hs_contacts.contact_id = conversions.contact_id

)

select * from final
