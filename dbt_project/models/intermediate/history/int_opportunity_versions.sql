{#-
    Every extracted version of every Salesforce opportunity and HubSpot deal, on one column set, with the
    range it is valid for: [valid_from, valid_to), valid_from = source_updated_at and valid_to = the next
    version's. The first version of an id is valid from the record's creation when that is earlier:
    before an opportunity's first extracted version (e.g. a history older than the first extraction),
    that version is the best the raw layer knows of it (the stage then comes from stage history).
    stage_changed_from: for a HubSpot version, its earliest `dealstage` history entry newer than the
    previous version (the earliest instant this version can change a past snapshot's stage);
    Salesforce stage changes are OpportunityHistory rows of their own.
-#}

with stg_salesforce__opportunity_versions as (

    select * from {{ ref('stg_salesforce__opportunity_versions') }}

),

stg_hubspot__deal_versions as (

    select * from {{ ref('stg_hubspot__deal_versions') }}

),

unioned as (

    select
        opportunity_id,
        'salesforce' as source_system,
        'salesforce' as pipeline_id,
        stage_name as stage_id,
        owner_id as source_owner_id,
        amount,
        null::numeric as amount_in_home_currency,
        coalesce(upper(nullif(currency, '')), upper('{{ var("corporate_currency") }}')) as currency,
        probability_pct / 100.0 as probability,
        close_date,
        is_closed,
        is_won,
        created_at,
        null::jsonb as dealstage_history,
        source_updated_at,
        is_deleted,
        _extracted_at
    from stg_salesforce__opportunity_versions
    where opportunity_id is not null

    union all

    select
        deal_id as opportunity_id,
        'hubspot' as source_system,
        pipeline_id,
        deal_stage_id as stage_id,
        owner_id as source_owner_id,
        amount,
        amount_in_home_currency,
        coalesce(upper(nullif(currency, '')), upper('{{ var("hubspot_home_currency") or var("corporate_currency") }}')) as currency,
        probability,
        close_date,
        is_closed,
        is_closed_won as is_won,
        created_at,
        dealstage_history,
        source_updated_at,
        is_deleted,
        _extracted_at
    from stg_hubspot__deal_versions
    where deal_id is not null

),

ordered as (

    select
        *,
        min(created_at) over (partition by opportunity_id) as opportunity_created_at,
        row_number() over versions as version_index,
        lag(source_updated_at) over versions as previous_updated_at,
        lead(source_updated_at) over versions as valid_to
    from unioned
    window versions as (partition by opportunity_id order by source_updated_at, _extracted_at)

),

final as (

    select
        opportunity_id,
        source_system,
        version_index,
        case
            when version_index = 1 then least(source_updated_at, coalesce(opportunity_created_at, source_updated_at))
            else source_updated_at
        end as valid_from,
        valid_to,
        source_updated_at,
        opportunity_created_at as created_at,
        is_deleted,
        pipeline_id,
        stage_id,
        source_owner_id,
        amount,
        amount_in_home_currency,
        currency,
        probability,
        close_date,
        is_closed,
        is_won,
        (
            select min({{ to_ts("change->>'timestamp'") }})
            from jsonb_array_elements(coalesce(dealstage_history, '[]'::jsonb)) as history(change)
            where previous_updated_at is null or {{ to_ts("change->>'timestamp'") }} > previous_updated_at
        ) as stage_changed_from,
        _extracted_at
    from ordered

)

select * from final
