{#-
    One row per person (one human across both CRMs, docs/metrics.md §1): identity, owner, first touch and
    the first entry into each canonical stage (back-filled stages flagged `_is_inferred`).
    `current_stage` = the furthest stage entered. First touch = earliest touch (ties: touchpoint_id,
    as docs/metrics.md §3 orders touches); channel and campaign 'unknown' without a touch (campaign null when the first
    touch names no campaign). PII: `email_hash` = sha256 of the normalised email; no email or phone.
-#}

with people as (

    select * from {{ ref('int_people') }}

),

passthrough as (

    {#- custom fields of var people_passthrough_fields (docs/models.md "Passthrough fields") -#}
    select * from {{ ref('int_person_passthrough') }}

),

stages as (

    select * from {{ ref('int_person_stages') }}

),

touches as (

    select * from {{ ref('fct_touchpoints') }}

),

first_touches as (

    select distinct on (person_id)
        person_id,
        channel,
        campaign_id
    from touches
    -- docs/metrics.md §3's order of touches (touched_at, then touchpoint_id), the attribution journeys'
    -- too, so a person's first touch is the first_touch model's FT
    order by person_id, touched_at, touchpoint_id collate "C"

),

stage_pivot as (

    select
        person_id,
        {%- for stage in ['lead', 'mql', 'sql', 'opportunity', 'customer'] %}
        min(entered_at) filter (where stage = '{{ stage }}') as {{ stage }}_at,
        bool_or(is_inferred) filter (where stage = '{{ stage }}') as {{ stage }}_is_inferred,
        {%- endfor %}
        (array_agg(stage order by stage_order desc))[1] as current_stage
    from stages
    group by person_id

),

final as (

    select
        people.person_id,
        people.email_hash,
        people.company_id,
        people.owner_id,
        people.created_at,
        people.source_systems,
        people.lead_source,
        people.region,
        coalesce(first_touches.channel, 'unknown') as first_touch_channel,
        case
            when first_touches.person_id is null then 'unknown'
            else first_touches.campaign_id
        end as first_touch_campaign_id,
        {%- for stage in ['lead', 'mql', 'sql', 'opportunity', 'customer'] %}
        stage_pivot.{{ stage }}_at,
        coalesce(stage_pivot.{{ stage }}_is_inferred, false) as {{ stage }}_is_inferred,
        {%- endfor %}
        stage_pivot.current_stage,
        people.salesforce_lead_id,
        people.salesforce_contact_id,
        people.hubspot_contact_id
        {{- passthrough_columns('people', 'passthrough') }}
    from people
    left join stage_pivot on people.person_id = stage_pivot.person_id
    left join first_touches on people.person_id = first_touches.person_id
    left join passthrough on people.person_id = passthrough.person_id

)

select * from final
