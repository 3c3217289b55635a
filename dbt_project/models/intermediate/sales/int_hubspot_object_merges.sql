{#-
    HubSpot deal and company merges: which id was merged into which survivor, per object type (contacts:
    int_hubspot_contact_merges). Read from raw `object_merges`, which the extractor builds from the
    survivors' `hs_merged_object_ids`. Chains (a → b → c) resolve to the final survivor.
-#}

with stg_hubspot__object_merges as (

    select * from {{ ref('stg_hubspot__object_merges') }}

),

pairs as (

    select distinct on (object_type, merged_id) object_type, merged_id, primary_id as surviving_id
    from stg_hubspot__object_merges
    where not is_deleted
        and merged_id is not null
        and primary_id is not null
        and merged_id <> primary_id
    order by object_type, merged_id, merged_at desc nulls last, primary_id

),

final as (

    select
        pairs.object_type,
        pairs.merged_id,
        coalesce(next_hop.surviving_id, pairs.surviving_id) as surviving_id
    from pairs
    left join pairs as next_hop
        on pairs.object_type = next_hop.object_type
        and pairs.surviving_id = next_hop.merged_id

)

select * from final
