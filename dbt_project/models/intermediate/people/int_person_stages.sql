{#-
    One row per person × canonical stage they have entered (docs/metrics.md §1):
      * first-entry rule: a person's entry into a stage is the earliest dated entry from either CRM;
        re-entries do not count again;
      * skipped stages are back-filled: a stage with no date, below a stage the person did reach,
        is entered at the date of the next stage they did reach, with is_inferred = true.
    Own dates are kept as they are even when a later stage's own date precedes them.
-#}

with int_person_stage_events as (

    select * from {{ ref('int_person_stage_events') }}

),

stages as (

    select * from {{ ref('funnel_stages') }}

),

events as (

    select * from int_person_stage_events
    where entered_at is not null

),

own_entries as (

    select
        events.person_id,
        events.stage,
        stages.stage_order,
        min(events.entered_at) as entered_at
    from events
    inner join stages on events.stage = stages.stage
    group by events.person_id, events.stage, stages.stage_order

),

reached as (

    select
        *,
        lag(stage_order) over (partition by person_id order by stage_order) as previous_reached_order
    from own_entries

),

{#- each stage reached with its own date back-fills the unreached stages between it and the
    reached stage below it (a person x stage grid would be five times the rows to sort) -#}
inferred_entries as (

    select
        reached.person_id,
        stages.stage,
        stages.stage_order,
        reached.entered_at
    from reached
    inner join stages
        on stages.stage_order < reached.stage_order
        and (reached.previous_reached_order is null or stages.stage_order > reached.previous_reached_order)

),

final as (

    select person_id, stage, stage_order, entered_at, false as is_inferred
    from own_entries

    union all

    select person_id, stage, stage_order, entered_at, true as is_inferred
    from inferred_entries

)

select * from final
