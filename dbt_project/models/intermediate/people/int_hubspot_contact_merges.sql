{#-
    HubSpot contact merges: which contact id was merged into which surviving contact. Read from the
    merge log (raw `contact_merges`) and the surviving contacts' `hs_merged_object_ids`
    (";"-separated). Chains (a → b → c) resolve to the
    final survivor.
-#}

with stg_hubspot__contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

stg_hubspot__contact_merges as (

    select * from {{ ref('stg_hubspot__contact_merges') }}

),

contacts as (

    select * from stg_hubspot__contacts
    where not is_deleted

),

from_property as (

    select
        trim(merged_id) as merged_contact_id,
        contacts.contact_id as surviving_contact_id
    from contacts
    cross join lateral regexp_split_to_table(contacts.merged_object_ids, '[;,]') as merged_id
    where nullif(trim(merged_id), '') is not null
        and trim(merged_id) <> contacts.contact_id

),

from_log as (

    select merged_contact_id, primary_contact_id as surviving_contact_id
    from stg_hubspot__contact_merges
    where not is_deleted
        and merged_contact_id is not null
        and primary_contact_id is not null

),

pairs as (

    select distinct on (merged_contact_id) merged_contact_id, surviving_contact_id
    from (
        select *, 1 as preference from from_log
        union all
        select *, 2 as preference from from_property
    ) as both_sources
    order by merged_contact_id, preference, surviving_contact_id

),

final as (

    select
        pairs.merged_contact_id,
        coalesce(next_hop.surviving_contact_id, pairs.surviving_contact_id) as surviving_contact_id
    from pairs
    left join pairs as next_hop on pairs.surviving_contact_id = next_hop.merged_contact_id

)

select * from final
