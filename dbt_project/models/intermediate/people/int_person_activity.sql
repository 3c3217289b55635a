{#-
    One row per person: when they last showed a sign of life, and whether they are still in the active
    funnel (docs/metrics.md §2 "Stuck"), as of the run.
      * last_activity_at: the latest, at or before the run's as-of time, of their touches
        (int_touchpoints), their sales activities (int_activities whose Salesforce WhoId is one of
        their leads / contacts, or whose HubSpot engagement is associated with one of their contacts)
        and their stage entries (int_person_stages).
      * disposition: `disqualified` / `recycled` when any of their records currently holds a value the
        mapping seed marks so (Salesforce Lead.Status, HubSpot lifecyclestage or hs_lead_status; a
        disqualified value wins over recycled), else `active`.
      * activity_status, with this precedence: `disqualified` (disposition not active), `lost` (on
        opportunities, none open), `cold` (no sign of life within var cold_after_days of the as-of
        time), else `active`. It is what funnel_stuck_records and funnel_stage_health read for people
        below the terminal stage.
-#}

with int_people as (

    select * from {{ ref('int_people') }}

),

int_person_records as (

    select * from {{ ref('int_person_records') }}

),

int_person_stages as (

    select * from {{ ref('int_person_stages') }}

),

int_touchpoints as (

    select * from {{ ref('int_touchpoints') }}

),

int_activities as (

    select * from {{ ref('int_activities') }}

),

int_activity_records as (

    select * from {{ ref('int_activity_records') }}

),

stg_salesforce__tasks as (

    select * from {{ ref('stg_salesforce__tasks') }}

),

stg_salesforce__events as (

    select * from {{ ref('stg_salesforce__events') }}

),

int_hubspot_associations as (

    select * from {{ ref('int_hubspot_associations') }}

),

int_opportunity_people as (

    select * from {{ ref('int_opportunity_people') }}

),

int_opportunities as (

    select * from {{ ref('int_opportunities') }}

),

stg_salesforce__leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

stg_hubspot__contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

funnel_stage_mapping as (

    select * from {{ ref('funnel_stage_mapping') }}

),

person_records as (

    select person_id, source_system, record_type, source_id from int_person_records

),

activity_sources as (

    select
        int_activities.activity_id,
        int_activities.occurred_at,
        int_activity_records.source_object,
        int_activity_records.source_id
    from int_activities
    inner join int_activity_records on int_activities.activity_id = int_activity_records.activity_id

),

salesforce_whos as (

    select task_id as source_id, 'sf_task' as source_object, who_id from stg_salesforce__tasks
    where who_id is not null
    union all
    select event_id as source_id, 'sf_event' as source_object, who_id from stg_salesforce__events
    where who_id is not null

),

activity_people as (

    -- Salesforce: the activity's WhoId (a lead or a contact)
    select
        person_records.person_id,
        activity_sources.occurred_at
    from activity_sources
    inner join salesforce_whos
        on activity_sources.source_object = salesforce_whos.source_object
        and activity_sources.source_id = salesforce_whos.source_id
    inner join person_records
        on person_records.source_system = 'salesforce'
        and salesforce_whos.who_id = person_records.source_id

    union all

    -- HubSpot: the contacts the engagement is associated with
    select
        person_records.person_id,
        activity_sources.occurred_at
    from activity_sources
    inner join int_hubspot_associations as associations
        on activity_sources.source_object = 'hs_' || associations.from_object_type
        and activity_sources.source_id = associations.from_id
        and associations.to_object_type = 'contact'
    inner join person_records
        on person_records.source_system = 'hubspot'
        and associations.to_id = person_records.source_id

),

signs_of_life as (

    select person_id, 'touch' as kind, touched_at as at from int_touchpoints
    union all
    select person_id, 'activity' as kind, occurred_at as at from activity_people
    union all
    select person_id, 'stage_entry' as kind, entered_at as at from int_person_stages

),

last_signs as (

    select
        person_id,
        max(at) filter (where kind = 'touch') as last_touch_at,
        max(at) filter (where kind = 'activity') as last_sales_activity_at,
        max(at) filter (where kind = 'stage_entry') as last_stage_entered_at,
        max(at) as last_activity_at
    from signs_of_life
    where at <= {{ as_of() }}
    group by person_id

),

record_values as (

    select
        person_records.person_id,
        'salesforce' as source_system,
        'Lead.Status' as source_field,
        leads.status as source_value
    from person_records
    inner join stg_salesforce__leads as leads
        on person_records.source_system = 'salesforce'
        and person_records.record_type = 'lead'
        and person_records.source_id = leads.lead_id

    union all

    select
        person_records.person_id,
        'hubspot' as source_system,
        fields.source_field,
        fields.source_value
    from person_records
    inner join stg_hubspot__contacts as contacts
        on person_records.source_system = 'hubspot'
        and person_records.source_id = contacts.contact_id
    cross join lateral (
        values ('lifecyclestage', contacts.lifecycle_stage), ('hs_lead_status', contacts.lead_status)
    ) as fields (source_field, source_value)

),

dispositions as (

    select
        record_values.person_id,
        case
            when bool_or(mapping.disposition = 'disqualified') then 'disqualified'
            when bool_or(mapping.disposition = 'recycled') then 'recycled'
            else 'active'
        end as disposition
    from record_values
    inner join funnel_stage_mapping as mapping
        on record_values.source_system = mapping.source_system
        and record_values.source_field = mapping.source_field
        and record_values.source_value = mapping.source_value
    group by record_values.person_id

),

person_opportunities as (

    select
        int_opportunity_people.person_id,
        count(distinct int_opportunities.opportunity_id) as opportunity_count,
        count(distinct int_opportunities.opportunity_id) filter (
            where not int_opportunities.is_closed
        ) as open_opportunity_count
    from int_opportunity_people
    inner join int_opportunities on int_opportunity_people.opportunity_id = int_opportunities.opportunity_id
    group by int_opportunity_people.person_id

),

final as (

    select
        int_people.person_id,
        last_signs.last_touch_at,
        last_signs.last_sales_activity_at,
        last_signs.last_stage_entered_at,
        last_signs.last_activity_at,
        coalesce(dispositions.disposition, 'active') as disposition,
        coalesce(person_opportunities.opportunity_count, 0) as opportunity_count,
        coalesce(person_opportunities.open_opportunity_count, 0) as open_opportunity_count,
        case
            when coalesce(dispositions.disposition, 'active') <> 'active' then 'disqualified'
            when coalesce(person_opportunities.opportunity_count, 0) > 0
                and coalesce(person_opportunities.open_opportunity_count, 0) = 0 then 'lost'
            when last_signs.last_activity_at is null
                or last_signs.last_activity_at
                    < {{ as_of() }} - {{ var('cold_after_days') }} * interval '86400 seconds' then 'cold'
            else 'active'
        end as activity_status
    from int_people
    left join last_signs on int_people.person_id = last_signs.person_id
    left join dispositions on int_people.person_id = dispositions.person_id
    left join person_opportunities on int_people.person_id = person_opportunities.person_id

)

select * from final
