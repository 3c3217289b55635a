{#-
    Live HubSpot associations in both directions, so a lookup is always
    `where from_object_type = 'deal' and to_object_type = 'company'`.
-#}

with stg_hubspot__associations as (

    select * from {{ ref('stg_hubspot__associations') }}

),

associations as (

    select * from stg_hubspot__associations
    where not is_deleted
        and from_id is not null
        and to_id is not null

),

final as (

    select from_object_type, from_id, to_object_type, to_id, association_type
    from associations

    union

    select to_object_type, to_id, from_object_type, from_id, association_type
    from associations

)

select * from final
