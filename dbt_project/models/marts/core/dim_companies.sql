{#-
    One row per company across both CRMs (a Salesforce Account and a HubSpot company are one
    company when their normalised website domain matches). No PII: names and domains of companies
    only.
-#}

with companies as (

    select * from {{ ref('int_companies') }}

),

final as (

    select
        company_id,
        company_name,
        domain,
        industry,
        segment,
        region,
        number_of_employees,
        annual_revenue,
        owner_id,
        created_at,
        source_systems,
        salesforce_account_id,
        hubspot_company_id
    from companies

)

select * from final
