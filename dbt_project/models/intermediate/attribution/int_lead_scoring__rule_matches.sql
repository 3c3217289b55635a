{#-
    Every (person, rule) match of the lead-scoring rules (seed `lead_scoring_rules`):
    fit rules match a person's attributes (once per person, no time); behaviour rules match the
    person's touches up to the run's as-of time (once per touch and rule, at the touch's time).
-#}

with lead_scoring_rules as (

    select * from {{ ref('lead_scoring_rules') }}

),

dim_people as (

    select * from {{ ref('dim_people') }}

),

dim_companies as (

    select * from {{ ref('dim_companies') }}

),

fct_touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

rules as (

    select
        rule_id,
        kind,
        attribute,
        operator,
        value,
        points::double precision as points
    from lead_scoring_rules

),

people as (

    select
        people.person_id,
        people.first_touch_channel,
        people.lead_source,
        people.region,
        companies.segment,
        companies.industry,
        companies.number_of_employees
    from dim_people as people
    left join dim_companies as companies
        on companies.company_id = people.company_id

),

person_attributes as (

    select person_id, attributes.attribute, attributes.value
    from people
    cross join lateral (
        values
            ('first_touch_channel', people.first_touch_channel),
            ('lead_source', people.lead_source),
            ('region', people.region),
            ('segment', people.segment),
            ('industry', people.industry),
            ('number_of_employees', people.number_of_employees::text)
    ) as attributes (attribute, value)

),

touches as (

    select touchpoint_id, person_id, touched_at, touch_type, channel, campaign_id, source_system
    from fct_touchpoints
    where touched_at <= {{ as_of() }}

),

touch_attributes as (

    select touchpoint_id, person_id, touched_at, attributes.attribute, attributes.value
    from touches
    cross join lateral (
        values
            ('touch_type', touches.touch_type),
            ('channel', touches.channel),
            ('campaign_id', touches.campaign_id),
            ('source_system', touches.source_system)
    ) as attributes (attribute, value)

),

fit_matches as (

    select
        person_attributes.person_id,
        rules.rule_id,
        rules.kind,
        null::text as event_id,
        null::timestamptz as occurred_at,
        rules.points
    from person_attributes
    inner join rules
        on rules.kind = 'fit'
        and rules.attribute = person_attributes.attribute
        and {{ lead_score_rule_matches('person_attributes.value', 'rules') }}

),

behavior_matches as (

    select
        touch_attributes.person_id,
        rules.rule_id,
        rules.kind,
        touch_attributes.touchpoint_id as event_id,
        touch_attributes.touched_at as occurred_at,
        rules.points
    from touch_attributes
    inner join rules
        on rules.kind = 'behavior'
        and rules.attribute = touch_attributes.attribute
        and {{ lead_score_rule_matches('touch_attributes.value', 'rules') }}

),

final as (

    select * from fit_matches
    union all
    select * from behavior_matches

)

select * from final
