{#-
    One row per person (one human across both CRMs). Attribute choices:
      * created_at: the earliest CreatedDate / createdate of the person's records;
      * owner_id (unified across CRMs, see int_owners), region (the record's Region__c, else its
        company's region), company (an unconverted lead's: the company whose domain its Website
        has): from the preferred record — Salesforce contact, then Salesforce
        lead, then HubSpot contact; the most recently modified first — falling back to any record
        that has a value;
      * lead_source: of the earliest-created record that has one (the original source).
-#}

with records as (

    select * from {{ ref('int_person_records') }}

),

company_records as (

    select * from {{ ref('int_company_records') }}

),

owners as (

    select * from {{ ref('int_owners') }}

),

companies as (

    select * from {{ ref('int_companies') }}

),

records_with_company as (

    select
        records.*,
        coalesce(company_records.company_id, domain_companies.company_id) as company_id,
        coalesce(company_records.region, domain_companies.region) as company_region,
        coalesce(owners.owner_id, records.source_owner_id) as owner_id,
        case
            when records.source_system = 'salesforce' and records.record_type = 'contact' then 1
            when records.source_system = 'salesforce' then 2
            else 3
        end as record_rank
    from records
    left join company_records
        on records.company_source_id = company_records.source_id
        and records.source_system = company_records.source_system
    -- a lead not (yet) converted names no account: it belongs to the company whose website
    -- domain its Website has (docs/metrics.md matches companies by domain), when there is one
    left join companies as domain_companies
        on records.company_source_id is null
        and records.company_domain = domain_companies.domain
    left join owners
        on records.source_owner_id = owners.source_owner_id
        and records.source_system = owners.source_system

),

people as (

    select
        person_id,
        min(identity_key) as identity_key,
        min(created_at) as created_at,
        string_agg(distinct source_system, ',' order by source_system) as source_systems,
        (array_agg(owner_id order by record_rank, updated_at desc nulls last, record_key)
            filter (where owner_id is not null))[1] as owner_id,
        (array_agg(company_id order by record_rank, updated_at desc nulls last, record_key)
            filter (where company_id is not null))[1] as company_id,
        (array_agg(coalesce(region, company_region) order by record_rank, updated_at desc nulls last, record_key)
            filter (where coalesce(region, company_region) is not null))[1] as region,
        (array_agg(lead_source order by created_at, record_key)
            filter (where lead_source is not null))[1] as lead_source,
        min(source_id) filter (where source_system = 'salesforce' and record_type = 'lead') as salesforce_lead_id,
        min(source_id) filter (where source_system = 'salesforce' and record_type = 'contact') as salesforce_contact_id,
        min(source_id) filter (where source_system = 'hubspot') as hubspot_contact_id,
        count(*) as source_record_count
    from records_with_company
    group by person_id

),

final as (

    select
        person_id,
        case
            when identity_key like 'email:%' then {{ sha256_hex('substr(identity_key, 7)') }}
        end as email_hash,
        company_id,
        owner_id,
        created_at,
        source_systems,
        lead_source,
        region,
        salesforce_lead_id,
        salesforce_contact_id,
        hubspot_contact_id,
        source_record_count
    from people

)

select * from final
