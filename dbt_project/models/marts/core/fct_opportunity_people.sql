{#- One row per opportunity × person on it (see int_opportunity_people for the linking rules). -#}

with opportunity_people as (

    select * from {{ ref('int_opportunity_people') }}

),

final as (

    select
        opportunity_id,
        person_id,
        role,
        is_primary
    from opportunity_people

)

select * from final
