{{ config(materialized='incremental', unique_key='snapshot_week') }}

{#-
    The pipeline at every week end (Sunday 24:00 UTC = the next Monday 00:00, `snapshot_at`), one row per
    opportunity open at the week end, open at the previous week end, or closed / removed in the week
    (closed at the end and not closed, or not yet existing, at the previous end), with its state at both
    ends (int_opportunity_states: the latest version at or before the instant, the stage from stage
    history). Weeks run from the first opportunity's creation to the run's as-of week.

    Incremental by week: a run rebuilds (delete + insert on snapshot_week) only the weeks from the
    earliest instant the versions extracted since the last build can change -- a new version's
    valid_from (its creation for a record's first version), a new OpportunityHistory row's time, a
    HubSpot version's first new `dealstage` entry -- and always the latest built week and the weeks after
    it up to the as-of week. An hourly run therefore rewrites the current week (plus the weeks a late
    version reaches back to), never the whole history. A seed, rate or owner change reaches the past only
    with --full-refresh (the weekly maintenance DAG runs one).
-#}

with states as (

    select * from {{ ref('int_opportunity_states') }}

),

versions as (

    select * from {{ ref('int_opportunity_versions') }}

),

stg_salesforce__opportunity_history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

inputs as (

    {#- the newest extraction this build saw: the next incremental run's watermark -#}
    select greatest(
        (select max(_extracted_at) from versions),
        (select max(_extracted_at) from stg_salesforce__opportunity_history)
    ) as source_extracted_at

),

bounds as (

    select
        {{ week_of('min(created_at)') }} as first_week,
        {{ week_of(as_of()) }} as current_week
    from states

),

{% if is_incremental() %}
watermark as (

    select coalesce(max(_source_extracted_at), '-infinity'::timestamptz) as extracted_at from {{ this }}

),

changed as (

    select min(changed_at) as changed_at
    from (
        select least(versions.valid_from, versions.stage_changed_from) as changed_at
        from versions, watermark
        where versions._extracted_at > watermark.extracted_at
        union all
        select history.created_at
        from stg_salesforce__opportunity_history as history, watermark
        where history._extracted_at > watermark.extracted_at
    ) as changes

),

rebuild as (

    {#- the first week whose end is at or after the earliest change (and the last week built) -#}
    select least(
        coalesce((select max(snapshot_week) from {{ this }}), bounds.first_week),
        coalesce({{ week_of("changed.changed_at - interval '1 microsecond'") }}, bounds.current_week)
    ) as from_week
    from bounds, changed

),
{% else %}
rebuild as (

    select first_week as from_week from bounds

),
{% endif %}

weeks as (

    select
        week::date as snapshot_week,
        (week::date + 7)::timestamp at time zone 'UTC' as snapshot_at
    from bounds
    cross join rebuild
    cross join lateral generate_series(greatest(bounds.first_week, rebuild.from_week), bounds.current_week,
                                       interval '7 days') as series(week)

),

ends as (

    select min(snapshot_at) as first_at, max(snapshot_at) as last_at from weeks

),

at_week_end as (

    {#- (week end, state) pairs: every week end an open state covers; the first week end a closed or
        removed state covers (only that week can hold its closing or removal) -#}
    select
        (covered.at at time zone 'UTC')::date - 7 as snapshot_week,
        states.*
    from states
    cross join ends
    cross join lateral generate_series(
        greatest(
            (date_trunc('week', (states.valid_from - interval '1 microsecond') at time zone 'UTC') + interval '7 days') at time zone 'UTC',
            ends.first_at),
        case
            when states.is_open then least(coalesce(states.valid_to - interval '1 microsecond', ends.last_at), ends.last_at)
            else least(
                (date_trunc('week', (states.valid_from - interval '1 microsecond') at time zone 'UTC') + interval '7 days') at time zone 'UTC',
                coalesce(states.valid_to - interval '1 microsecond', ends.last_at),
                ends.last_at)
        end,
        interval '7 days') as covered(at)

),

open_before as (

    select snapshot_week + 7 as snapshot_week, opportunity_id
    from at_week_end
    where is_open

),

pairs as (

    select snapshot_week, opportunity_id from at_week_end
    union
    select open_before.snapshot_week, open_before.opportunity_id
    from open_before
    inner join weeks on open_before.snapshot_week = weeks.snapshot_week

),

both_ends as (

    select
        pairs.snapshot_week,
        weeks.snapshot_at,
        pairs.opportunity_id,
        coalesce(now_state.source_system, previous.source_system) as source_system,
        coalesce(now_state.is_existing, false) as is_existing,
        coalesce(now_state.is_open, false) as is_open,
        now_state.stage,
        now_state.stage_label,
        now_state.pipeline,
        now_state.is_closed,
        now_state.is_won,
        now_state.amount,
        now_state.currency,
        now_state.amount_corporate,
        now_state.probability,
        now_state.close_date,
        now_state.owner_id,
        coalesce(previous.is_existing, false) as was_existing,
        coalesce(previous.is_open, false) as was_open,
        previous.stage as previous_stage,
        previous.amount_corporate as previous_amount_corporate,
        previous.close_date as previous_close_date
    from pairs
    inner join weeks on pairs.snapshot_week = weeks.snapshot_week
    left join states as now_state
        on pairs.opportunity_id = now_state.opportunity_id
        and now_state.valid_from <= weeks.snapshot_at
        and (now_state.valid_to is null or weeks.snapshot_at < now_state.valid_to)
    left join states as previous
        on pairs.opportunity_id = previous.opportunity_id
        and previous.valid_from <= weeks.snapshot_at - interval '7 days'
        and (previous.valid_to is null or weeks.snapshot_at - interval '7 days' < previous.valid_to)

),

final as (

    select
        both_ends.*,
        inputs.source_extracted_at as _source_extracted_at
    from both_ends
    cross join inputs
    where both_ends.is_open
        or both_ends.was_open
        or (both_ends.is_existing and not both_ends.was_existing)

)

select * from final
