{#-
    One row per owner record of either CRM, with the unified `owner_id`: reps are the same person in
    both CRMs when their emails match (HubSpot owner email = Salesforce User.Email), and then carry
    the Salesforce User Id; a HubSpot owner without a Salesforce user keeps its HubSpot owner id.
    team = User.Department (HubSpot: the owner's primary / first team); region = User.Region__c.
-#}

with sf_users as (

    select * from {{ ref('stg_salesforce__users') }}

),

sf_roles as (

    select * from {{ ref('stg_salesforce__user_roles') }}

),

hs_owners as (

    select * from {{ ref('stg_hubspot__owners') }}

),

hs_teams as (

    select distinct on (hs_owners.owner_id)
        hs_owners.owner_id,
        team->>'name' as team_name
    from hs_owners
    cross join lateral jsonb_array_elements(coalesce(hs_owners.record->'teams', '[]'::jsonb))
        with ordinality as teams(team, position)
    order by hs_owners.owner_id, coalesce((team->>'primary')::boolean, false) desc, position

),

sf_by_email as (

    select distinct on (lower(trim(email)))
        lower(trim(email)) as email_norm,
        user_id,
        department,
        region
    from sf_users
    where nullif(trim(email), '') is not null
    order by lower(trim(email)), is_active desc, user_id

),

final as (

    select
        'salesforce' as source_system,
        sf_users.user_id as source_owner_id,
        sf_users.user_id as owner_id,
        sf_users.user_name as owner_name,
        coalesce(sf_users.department, sf_roles.role_name) as team,
        sf_users.region,
        sf_roles.role_name,
        sf_users.is_active
    from sf_users
    left join sf_roles on sf_users.user_role_id = sf_roles.user_role_id

    union all

    select
        'hubspot' as source_system,
        hs_owners.owner_id as source_owner_id,
        coalesce(sf_by_email.user_id, hs_owners.owner_id) as owner_id,
        trim(coalesce(hs_owners.first_name, '') || ' ' || coalesce(hs_owners.last_name, '')) as owner_name,
        coalesce(hs_teams.team_name, sf_by_email.department) as team,
        sf_by_email.region,
        null as role_name,
        not (hs_owners.is_archived or hs_owners.is_deleted) as is_active
    from hs_owners
    left join hs_teams on hs_owners.owner_id = hs_teams.owner_id
    left join sf_by_email on lower(trim(hs_owners.email)) = sf_by_email.email_norm

)

select * from final
