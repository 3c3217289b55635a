{#-
    Every dated entry of a person into a canonical stage, from both CRMs (before the first-entry
    rule and back-fill, which int_person_stages applies):
      * Salesforce lead/contact → `lead` at CreatedDate;
      * Lead.Status entering a value the seed maps to a stage → that stage, at the LeadHistory row
        (Field = Status); for a (lead, stage) without such a row, the first extracted version that
        shows a status mapped to it;
      * `opportunity` at the CreatedDate of the first opportunity the person is on (converted-lead
        opportunity or contact role), `customer` when that first opportunity was won (its closed_at);
      * HubSpot: `hs_v2_date_entered_<value>`, else `hs_lifecyclestage_<value>_date`, for each
        lifecycle value the seed maps.
-#}

{{ config(
    pre_hook="set enable_nestloop = off",
    post_hook="reset enable_nestloop"
) }}

{#- enable_nestloop off: the planner cannot estimate the jsonb-derived join keys below and would
    otherwise nest loops over lead history × people (minutes instead of seconds at scale). -#}

with person_records as not materialized (

    select * from {{ ref('int_person_records') }}

),

stg_salesforce__lead_history as (

    select * from {{ ref('stg_salesforce__lead_history') }}

),

int_hubspot_contact_lifecycle_dates as (

    select * from {{ ref('int_hubspot_contact_lifecycle_dates') }}

),

stage_mapping as (

    select * from {{ ref('funnel_stage_mapping') }}

),

lead_versions as (

    select * from {{ ref('stg_salesforce__lead_versions') }}

),

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

opportunity_people as (

    select * from {{ ref('int_opportunity_people') }}

),

lead_history as (

    select * from stg_salesforce__lead_history
    where not is_deleted and lower(field_name) in ('status', 'leadstatus')

),

sf_records as (

    select * from person_records
    where source_system = 'salesforce'

),

sf_status_stages as (

    select source_value as status, stage
    from stage_mapping
    where source_system = 'salesforce' and source_field = 'Lead.Status' and stage in ('mql', 'sql')

),

created_events as (

    select
        person_id,
        'lead' as stage,
        created_at as entered_at,
        'salesforce' as source_system,
        'sf_' || record_type || ':' || source_id || ':created' as evidence
    from sf_records

),

history_events as (

    select
        sf_records.person_id,
        sf_status_stages.stage,
        min(lead_history.created_at) as entered_at,
        sf_records.source_id as lead_id
    from lead_history
    inner join sf_status_stages on lead_history.new_value = sf_status_stages.status
    inner join sf_records
        on sf_records.record_type = 'lead'
        and lead_history.lead_id = sf_records.source_id
    group by sf_records.person_id, sf_status_stages.stage, sf_records.source_id

),

version_events as (

    select
        sf_records.person_id,
        sf_status_stages.stage,
        min(lead_versions.source_updated_at) as entered_at,
        sf_records.source_id as lead_id
    from lead_versions
    inner join sf_status_stages on lead_versions.status = sf_status_stages.status
    inner join sf_records
        on sf_records.record_type = 'lead'
        and lead_versions.lead_id = sf_records.source_id
    group by sf_records.person_id, sf_status_stages.stage, sf_records.source_id

),

status_events as (

    select
        person_id,
        stage,
        entered_at,
        'salesforce' as source_system,
        'sf_lead:' || lead_id || ':lead_history' as evidence
    from history_events

    union all

    select
        version_events.person_id,
        version_events.stage,
        version_events.entered_at,
        'salesforce' as source_system,
        'sf_lead:' || version_events.lead_id || ':first_version' as evidence
    from version_events
    left join history_events
        on version_events.lead_id = history_events.lead_id
        and version_events.stage = history_events.stage
    where history_events.lead_id is null

),

sf_person_opportunities as (

    select distinct on (opportunity_people.person_id)
        opportunity_people.person_id,
        opportunities.opportunity_id,
        opportunities.created_at,
        opportunities.is_won,
        opportunities.closed_at
    from opportunity_people
    inner join opportunities on opportunity_people.opportunity_id = opportunities.opportunity_id
    where opportunities.source_system = 'salesforce'
    order by opportunity_people.person_id, opportunities.created_at, opportunities.opportunity_id

),

opportunity_events as (

    select
        person_id,
        'opportunity' as stage,
        created_at as entered_at,
        'salesforce' as source_system,
        'sf_opportunity:' || opportunity_id || ':created' as evidence
    from sf_person_opportunities

    union all

    select
        person_id,
        'customer' as stage,
        closed_at as entered_at,
        'salesforce' as source_system,
        'sf_opportunity:' || opportunity_id || ':won' as evidence
    from sf_person_opportunities
    where is_won and closed_at is not null

),

hs_dates as (

    select
        person_records.person_id,
        lifecycle_dates.contact_id,
        lifecycle_dates.lifecycle_value,
        lifecycle_dates.entered_at
    from person_records
    inner join int_hubspot_contact_lifecycle_dates as lifecycle_dates
        on person_records.source_id = lifecycle_dates.contact_id
    where person_records.source_system = 'hubspot'

),

hs_events as (

    select
        hs_dates.person_id,
        stage_mapping.stage,
        hs_dates.entered_at,
        'hubspot' as source_system,
        'hs_contact:' || hs_dates.contact_id || ':' || hs_dates.lifecycle_value as evidence
    from hs_dates
    inner join stage_mapping
        on stage_mapping.source_system = 'hubspot'
        and stage_mapping.source_field = 'lifecyclestage'
        and hs_dates.lifecycle_value = stage_mapping.source_value

),

final as (

    select * from created_events
    union all
    select * from status_events
    union all
    select * from opportunity_events
    union all
    select * from hs_events

)

select * from final
