{#-
    One row per source company record (Salesforce Account, HubSpot company), not deleted, with the
    company it resolves to: a Salesforce Account and a HubSpot company are the same company when their
    normalised website domain matches; without a domain a record keeps a source-scoped id.
-#}

with stg_salesforce__accounts as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

stg_hubspot__companies as (

    select * from {{ ref('stg_hubspot__companies') }}

),

accounts as (

    select * from stg_salesforce__accounts
    where not is_deleted

),

hs_companies as (

    select * from stg_hubspot__companies
    where not is_deleted

),

records as (

    select
        'salesforce' as source_system,
        account_id as source_id,
        {{ norm_domain('website') }} as domain,
        account_name as company_name,
        industry,
        number_of_employees,
        annual_revenue,
        region,
        segment,
        owner_id,
        created_at
    from accounts

    union all

    select
        'hubspot' as source_system,
        company_id as source_id,
        coalesce({{ norm_domain('domain') }}, {{ norm_domain('website') }}) as domain,
        company_name,
        industry,
        number_of_employees,
        annual_revenue,
        region,
        segment,
        owner_id,
        created_at
    from hs_companies

),

final as (

    select
        case
            when domain is not null then md5(domain)
            else case source_system when 'salesforce' then 'sf_account:' else 'hs_company:' end || source_id
        end as company_id,
        *
    from records

)

select * from final
