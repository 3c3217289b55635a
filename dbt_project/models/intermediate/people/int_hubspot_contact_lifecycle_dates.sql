{{ config(
    materialized='incremental',
    unique_key='contact_id'
) }}

{#-
    The date a HubSpot contact entered each lifecycle value: `hs_v2_date_entered_<value>` when
    present, else `hs_lifecyclestage_<value>_date`, whatever values the portal defines.
    Reading the properties of every contact is the costly part of the stage events, and it depends
    on the contact's own record alone: so it is incremental, recomputed only for contacts whose
    staged version was extracted since the last run. A contact without any date keeps one row with
    a null value, so an incremental run also replaces a contact whose dates all went away.
-#}

with stg_hubspot__contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

{#- not materialized: read several times, and materialising it would copy every contact's record -#}
hs_contacts as not materialized (

    select contact_id, record, _extracted_at
    from stg_hubspot__contacts
    where {{ extracted_since_last_run() }}

),

date_properties as (

    select
        hs_contacts.contact_id,
        case
            when property.key like 'hs\_v2\_date\_entered\_%' then substr(property.key, 20)
            else regexp_replace(property.key, '^hs_lifecyclestage_(.*)_date$', '\1')
        end as lifecycle_value,
        property.key like 'hs\_v2\_date\_entered\_%' as is_v2,
        {{ to_ts('property.value') }} as entered_at
    from hs_contacts
    cross join lateral jsonb_each_text(hs_contacts.record->'properties') as property
    where (
            property.key like 'hs\_v2\_date\_entered\_%'
            or property.key ~ '^hs_lifecyclestage_.*_date$'
        )
        and nullif(property.value, '') is not null

),

lifecycle_dates as (

    select distinct on (contact_id, lifecycle_value)
        contact_id,
        lifecycle_value,
        entered_at
    from date_properties
    order by contact_id, lifecycle_value, is_v2 desc

),

final as (

    select
        hs_contacts.contact_id,
        lifecycle_dates.lifecycle_value,
        lifecycle_dates.entered_at,
        hs_contacts._extracted_at
    from hs_contacts
    left join lifecycle_dates on hs_contacts.contact_id = lifecycle_dates.contact_id

)

select * from final
