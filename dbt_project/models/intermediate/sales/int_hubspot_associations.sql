{#-
    Live HubSpot associations in both directions, so a lookup is always
    `where from_object_type = 'deal' and to_object_type = 'company'`. An association stored with a
    contact that was later merged away names the surviving contact (docs/metrics.md §1), so deal
    contacts, a contact's company and engagements count for the survivor.
-#}

with stg_hubspot__associations as (

    select * from {{ ref('stg_hubspot__associations') }}

),

int_hubspot_contact_merges as (

    select * from {{ ref('int_hubspot_contact_merges') }}

),

live_associations as (

    select * from stg_hubspot__associations
    where not is_deleted
        and from_id is not null
        and to_id is not null

),

associations as (

    select
        live_associations.from_object_type,
        case
            when live_associations.from_object_type = 'contact'
                then coalesce(from_merges.surviving_contact_id, live_associations.from_id)
            else live_associations.from_id
        end as from_id,
        live_associations.to_object_type,
        case
            when live_associations.to_object_type = 'contact'
                then coalesce(to_merges.surviving_contact_id, live_associations.to_id)
            else live_associations.to_id
        end as to_id,
        live_associations.association_type
    from live_associations
    left join int_hubspot_contact_merges as from_merges
        on live_associations.from_id = from_merges.merged_contact_id
    left join int_hubspot_contact_merges as to_merges
        on live_associations.to_id = to_merges.merged_contact_id

),

final as (

    select from_object_type, from_id, to_object_type, to_id, association_type
    from associations

    union

    select to_object_type, to_id, from_object_type, from_id, association_type
    from associations

)

select * from final
