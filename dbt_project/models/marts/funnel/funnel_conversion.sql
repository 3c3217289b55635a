{#-
    Entry-cohort conversion: of the people who entered `from_stage` in `cohort_month`, how many
    reached `to_stage` at or after entering `from_stage`, as of the run (var as_of). Pairs: every
    consecutive pair plus lead → customer; by first-touch channel and campaign.
-#}

with dim_people as (

    select * from {{ ref('dim_people') }}

),

stages as (

    select * from {{ ref('int_person_stages') }}

),

people as (

    select person_id, first_touch_channel, first_touch_campaign_id from dim_people

),

pairs as (

    select * from (
        values
            ('lead', 'mql'),
            ('mql', 'sql'),
            ('sql', 'opportunity'),
            ('opportunity', 'customer'),
            ('lead', 'customer')
    ) as pairs (from_stage, to_stage)

),

cohorts as (

    select
        pairs.from_stage,
        pairs.to_stage,
        from_entry.person_id,
        from_entry.entered_at as from_at,
        to_entry.entered_at as to_at
    from pairs
    inner join stages as from_entry on from_entry.stage = pairs.from_stage
    left join stages as to_entry
        on to_entry.person_id = from_entry.person_id
        and to_entry.stage = pairs.to_stage

),

final as (

    select
        {{ month_of('cohorts.from_at') }} as cohort_month,
        cohorts.from_stage,
        cohorts.to_stage,
        people.first_touch_channel as channel,
        people.first_touch_campaign_id as campaign_id,
        count(*) as cohort_count,
        count(*) filter (
            where cohorts.to_at >= cohorts.from_at and cohorts.to_at <= {{ as_of() }}
        ) as converted_count,
        {{ safe_ratio(
            "count(*) filter (where cohorts.to_at >= cohorts.from_at and cohorts.to_at <= " ~ as_of() ~ ")",
            "count(*)"
        ) }} as conversion_rate
    from cohorts
    inner join people on cohorts.person_id = people.person_id
    group by 1, 2, 3, 4, 5

)

select * from final
