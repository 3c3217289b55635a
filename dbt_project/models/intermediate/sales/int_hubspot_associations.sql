{#-
    Live HubSpot associations in both directions, so a lookup is always
    `where from_object_type = 'deal' and to_object_type = 'company'`. An association stored with a
    contact, deal or company that was later merged away names the survivor (docs/metrics.md §1): HubSpot
    moves associations at a merge, but a pair read before it stays in raw until its from-object is
    re-read, so deal contacts, a deal's company and engagements count for the survivor.
-#}

with stg_hubspot__associations as (

    select * from {{ ref('stg_hubspot__associations') }}

),

int_hubspot_contact_merges as (

    select * from {{ ref('int_hubspot_contact_merges') }}

),

int_hubspot_object_merges as (

    select * from {{ ref('int_hubspot_object_merges') }}

),

merges as (

    select 'contact' as object_type, merged_contact_id as merged_id, surviving_contact_id as surviving_id
    from int_hubspot_contact_merges

    union all

    select object_type, merged_id, surviving_id
    from int_hubspot_object_merges

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
        coalesce(from_merges.surviving_id, live_associations.from_id) as from_id,
        live_associations.to_object_type,
        coalesce(to_merges.surviving_id, live_associations.to_id) as to_id,
        live_associations.association_type
    from live_associations
    left join merges as from_merges
        on live_associations.from_object_type = from_merges.object_type
        and live_associations.from_id = from_merges.merged_id
    left join merges as to_merges
        on live_associations.to_object_type = to_merges.object_type
        and live_associations.to_id = to_merges.merged_id

),

final as (

    select from_object_type, from_id, to_object_type, to_id, association_type
    from associations

    union

    select to_object_type, to_id, from_object_type, from_id, association_type
    from associations

)

select * from final
