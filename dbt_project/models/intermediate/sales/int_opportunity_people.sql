{#-
    One row per opportunity × person on it: Salesforce contact roles plus the lead converted into
    the opportunity, and HubSpot contacts associated with the deal. A person reached several ways
    is one row: the contact role's `role` wins, `is_primary` is true when any link says so. Without
    a primary contact role, the converted lead is the primary person; a HubSpot deal's primary is
    the association labelled primary, else its earliest-created contact.
-#}

with int_person_records as (

    select * from {{ ref('int_person_records') }}

),

int_opportunities as (

    select * from {{ ref('int_opportunities') }}

),

stg_salesforce__opportunity_contact_roles as (

    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}

),

stg_salesforce__leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

int_hubspot_associations as (

    select * from {{ ref('int_hubspot_associations') }}

),

person_records as (

    select person_id, source_system, record_type, source_id, created_at
    from int_person_records

),

opportunities as (

    select opportunity_id, source_system from int_opportunities

),

contact_roles as (

    select * from stg_salesforce__opportunity_contact_roles
    where not is_deleted

),

leads as (

    select * from stg_salesforce__leads
    where not is_deleted and converted_opportunity_id is not null

),

hs_deal_contacts as (

    select from_id as deal_id, to_id as contact_id, association_type
    from int_hubspot_associations
    where from_object_type = 'deal' and to_object_type = 'contact'

),

links as (

    select
        contact_roles.opportunity_id,
        person_records.person_id,
        coalesce(contact_roles.role, 'contact_role') as role,
        contact_roles.is_primary,
        1 as link_rank,
        person_records.created_at
    from contact_roles
    inner join person_records
        on person_records.source_system = 'salesforce'
        and person_records.record_type = 'contact'
        and contact_roles.contact_id = person_records.source_id

    union all

    select
        leads.converted_opportunity_id as opportunity_id,
        person_records.person_id,
        'converted_lead' as role,
        null as is_primary,
        2 as link_rank,
        person_records.created_at
    from leads
    inner join person_records
        on person_records.source_system = 'salesforce'
        and person_records.record_type = 'lead'
        and leads.lead_id = person_records.source_id

    union all

    select
        hs_deal_contacts.deal_id as opportunity_id,
        person_records.person_id,
        -- the association's label when it has one; HubSpot's unlabelled default (type id 3) says
        -- nothing a reader can use
        case
            when hs_deal_contacts.association_type !~ '^[0-9]*$' then hs_deal_contacts.association_type
            else 'deal_contact'
        end as role,
        case when hs_deal_contacts.association_type ilike '%primary%' then true end as is_primary,
        3 as link_rank,
        person_records.created_at
    from hs_deal_contacts
    inner join person_records
        on person_records.source_system = 'hubspot'
        and hs_deal_contacts.contact_id = person_records.source_id

),

per_person as (

    select
        links.opportunity_id,
        links.person_id,
        (array_agg(links.role order by links.link_rank, links.role))[1] as role,
        coalesce(bool_or(links.is_primary), false) as has_primary_flag,
        bool_or(links.link_rank = 2) as is_converted_lead,
        min(links.created_at) as person_created_at
    from links
    inner join opportunities on links.opportunity_id = opportunities.opportunity_id
    group by links.opportunity_id, links.person_id

),

flagged as (

    select
        *,
        bool_or(has_primary_flag) over (partition by opportunity_id) as opportunity_has_primary,
        row_number() over (
            partition by opportunity_id
            order by is_converted_lead desc, person_created_at, person_id
        ) as fallback_rank
    from per_person

),

final as (

    select
        opportunity_id,
        person_id,
        role,
        case
            when opportunity_has_primary then has_primary_flag
            else fallback_rank = 1
        end as is_primary
    from flagged

)

select * from final
