{#-
    One row per company across both CRMs. Attributes prefer Salesforce (the system of record for
    accounts), then the earliest-created record.
-#}

with records as (

    select * from {{ ref('int_company_records') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by company_id
            order by case source_system when 'salesforce' then 0 else 1 end, created_at, source_id
        ) as preference
    from records

),

systems as (

    select
        company_id,
        string_agg(distinct source_system, ',' order by source_system) as source_systems,
        min(source_id) filter (where source_system = 'salesforce') as salesforce_account_id,
        min(source_id) filter (where source_system = 'hubspot') as hubspot_company_id,
        min(created_at) as created_at
    from records
    group by company_id

),

final as (

    select
        ranked.company_id,
        ranked.company_name,
        ranked.domain,
        ranked.industry,
        ranked.number_of_employees,
        ranked.annual_revenue,
        ranked.segment,
        ranked.region,
        ranked.owner_id,
        systems.created_at,
        systems.source_systems,
        systems.salesforce_account_id,
        systems.hubspot_company_id
    from ranked
    inner join systems on ranked.company_id = systems.company_id
    where ranked.preference = 1

)

select * from final
