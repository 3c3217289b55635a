{#-
    One row per person with the passthrough columns of var people_passthrough_fields (typed; none
    configured: person_id alone). Each column's value comes from the preferred record that has one, the
    order of int_people's attributes: Salesforce contact, then lead, then HubSpot contact, the most
    recently modified first. Salesforce fields are read from the Contact / Lead record, HubSpot
    properties from the contact.
-#}

with records as (

    select * from {{ ref('int_person_records') }}

),

stg_salesforce__contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

stg_salesforce__leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

stg_hubspot__contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

record_values as (

    select
        records.person_id,
        1 as record_rank,
        records.updated_at,
        records.record_key
        {{ passthrough_select('people', 'salesforce', 'contacts.record') }}
    from records
    inner join stg_salesforce__contacts as contacts
        on records.source_system = 'salesforce' and records.record_type = 'contact'
        and records.source_id = contacts.contact_id

    union all

    select
        records.person_id,
        2 as record_rank,
        records.updated_at,
        records.record_key
        {{ passthrough_select('people', 'salesforce', 'leads.record') }}
    from records
    inner join stg_salesforce__leads as leads
        on records.source_system = 'salesforce' and records.record_type = 'lead'
        and records.source_id = leads.lead_id

    union all

    select
        records.person_id,
        3 as record_rank,
        records.updated_at,
        records.record_key
        {{ passthrough_select('people', 'hubspot', 'contacts.record') }}
    from records
    inner join stg_hubspot__contacts as contacts
        on records.source_system = 'hubspot' and records.source_id = contacts.contact_id

),

final as (

    select
        person_id
        {%- for c in passthrough_fields('people') %},
        (array_agg({{ c['column'] }} order by record_rank, updated_at desc nulls last, record_key)
            filter (where {{ c['column'] }} is not null))[1] as {{ c['column'] }}
        {%- endfor %}
    from record_values
    group by person_id

)

select * from final
