{#-
    One row per person × canonical stage they have entered (METRICS.md §1):
      * first-entry rule: a person's entry into a stage is the earliest dated entry from either CRM;
        re-entries do not count again;
      * skipped stages are back-filled: a stage with no date, below a stage the person did reach,
        is entered at the date of the next stage they did reach, with is_inferred = true.
    Own dates are kept as they are even when a later stage's own date precedes them.
-#}

with events as (

    select * from {{ ref('int_person_stage_events') }}
    where entered_at is not null

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

first_entries as (

    select
        person_id,
        stage,
        min(entered_at) as entered_at
    from events
    group by person_id, stage

),

people as (

    select distinct person_id from first_entries

),

grid as (

    select
        people.person_id,
        stages.stage,
        stages.stage_order,
        first_entries.entered_at as own_entered_at
    from people
    cross join stages
    left join first_entries
        on people.person_id = first_entries.person_id
        and stages.stage = first_entries.stage

),

with_next as (

    select
        *,
        min(case when own_entered_at is not null then stage_order end) over (
            partition by person_id
            order by stage_order
            rows between 1 following and unbounded following
        ) as next_reached_order
    from grid

),

final as (

    select
        with_next.person_id,
        with_next.stage,
        with_next.stage_order,
        coalesce(with_next.own_entered_at, next_stage.own_entered_at) as entered_at,
        with_next.own_entered_at is null as is_inferred
    from with_next
    left join grid as next_stage
        on with_next.person_id = next_stage.person_id
        and with_next.next_reached_order = next_stage.stage_order
    where with_next.own_entered_at is not null
        or with_next.next_reached_order is not null

)

select * from final
