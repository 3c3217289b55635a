{#-
    One row per source person record (Salesforce lead, Salesforce contact, HubSpot contact) that is
    not deleted, with the identity key it resolves to:
      * a converted lead resolves to the person of its ConvertedContactId;
      * a HubSpot contact merged into another resolves to the surviving contact;
      * otherwise the normalised email; without an email, a source-scoped key.
    A converted lead whose own email differs from its contact's also pulls every record with that
    email into the contact's person (one hop of identity propagation).
-#}

with stg_salesforce__leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

stg_salesforce__contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

stg_hubspot__contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

hs_merges as (

    select * from {{ ref('int_hubspot_contact_merges') }}

),

sf_leads as (

    select * from stg_salesforce__leads
    where not is_deleted

),

sf_contacts as (

    select * from stg_salesforce__contacts
    where not is_deleted

),

hs_contacts as (

    select * from stg_hubspot__contacts
    where not is_deleted

),

contact_keys as (

    select
        contact_id,
        coalesce('email:' || {{ norm_email('email') }}, 'sf_contact:' || contact_id) as identity_key
    from sf_contacts

),

records as (

    select
        'salesforce' as source_system,
        'lead' as record_type,
        sf_leads.lead_id as source_id,
        'sf_lead:' || sf_leads.lead_id as record_key,
        {{ norm_email('sf_leads.email') }} as email_norm,
        coalesce(
            contact_keys.identity_key,
            'email:' || {{ norm_email('sf_leads.email') }},
            'sf_lead:' || sf_leads.lead_id
        ) as direct_key,
        sf_leads.created_at,
        sf_leads.owner_id as source_owner_id,
        sf_leads.lead_source,
        sf_leads.region,
        sf_leads.country,
        sf_leads.is_converted,
        sf_leads.converted_account_id as company_source_id,
        {{ norm_domain('sf_leads.website') }} as company_domain,
        contact_keys.contact_id is not null as is_merged_into_other,
        sf_leads.last_modified_at as updated_at
    from sf_leads
    left join contact_keys
        on sf_leads.is_converted
        and sf_leads.converted_contact_id = contact_keys.contact_id

    union all

    select
        'salesforce' as source_system,
        'contact' as record_type,
        sf_contacts.contact_id as source_id,
        'sf_contact:' || sf_contacts.contact_id as record_key,
        {{ norm_email('sf_contacts.email') }} as email_norm,
        contact_keys.identity_key as direct_key,
        sf_contacts.created_at,
        sf_contacts.owner_id as source_owner_id,
        sf_contacts.lead_source,
        sf_contacts.region,
        sf_contacts.country,
        false as is_converted,
        sf_contacts.account_id as company_source_id,
        null::text as company_domain,
        false as is_merged_into_other,
        sf_contacts.last_modified_at as updated_at
    from sf_contacts
    inner join contact_keys on sf_contacts.contact_id = contact_keys.contact_id

    union all

    select
        'hubspot' as source_system,
        'contact' as record_type,
        hs_contacts.contact_id as source_id,
        'hs_contact:' || hs_contacts.contact_id as record_key,
        {{ norm_email('hs_contacts.email') }} as email_norm,
        coalesce(
            'email:' || {{ norm_email('survivor.email') }},
            'hs_contact:' || survivor.contact_id,
            'email:' || {{ norm_email('hs_contacts.email') }},
            'hs_contact:' || hs_contacts.contact_id
        ) as direct_key,
        hs_contacts.created_at,
        hs_contacts.owner_id as source_owner_id,
        hs_contacts.analytics_source as lead_source,
        null::text as region,
        hs_contacts.country,
        false as is_converted,
        hs_contacts.associated_company_id as company_source_id,
        null::text as company_domain,
        hs_merges.merged_contact_id is not null as is_merged_into_other,
        hs_contacts.last_modified_at as updated_at
    from hs_contacts
    left join hs_merges on hs_contacts.contact_id = hs_merges.merged_contact_id
    left join hs_contacts as survivor on hs_merges.surviving_contact_id = survivor.contact_id

),

{#- a converted lead whose email differs from its contact's: that email belongs to the contact's person -#}
email_aliases as (

    select distinct on (records.email_norm)
        'email:' || records.email_norm as alias_key,
        records.direct_key as identity_key
    from records
    where records.record_type = 'lead'
        and records.is_merged_into_other
        and records.email_norm is not null
        and records.direct_key <> 'email:' || records.email_norm
    order by records.email_norm, records.created_at, records.source_id

),

resolved as (

    select
        records.*,
        coalesce(email_aliases.identity_key, records.direct_key) as identity_key
    from records
    left join email_aliases on records.direct_key = email_aliases.alias_key

),

final as (

    select
        case
            when identity_key like 'email:%' then md5(substr(identity_key, 7))
            else identity_key
        end as person_id,
        identity_key,
        source_system,
        record_type,
        source_id,
        record_key,
        email_norm,
        created_at,
        source_owner_id,
        lead_source,
        region,
        country,
        is_converted,
        company_source_id,
        company_domain,
        is_merged_into_other,
        updated_at
    from resolved

)

select * from final
