{{ config(pre_hook="set local work_mem = '{{ var(\"attribution_work_mem\") }}'") }}

{#-
    Credit of every touch of every opportunity's journey under every attribution model
    (docs/metrics.md section 3), computed wide then unpivoted:
    1. one sorted window pass over the journeys gives each touch its position, the journey
       length and the positions of the milestones (LC / OC / CW are "the last touch at or
       before a time", which in a journey ordered by touched_at is the count of touches up to
       that time);
    2. per touch, one credit column per model of the seed `attribution_model_weights`, read when
       the model is compiled (macro attribution_models) and compiled to SQL with its weights as
       constants (macro attribution_credit_rules: a few comparisons per touch and model);
    3. unnest turns the columns into one row per model: no join against a per-opportunity x
       model table, the touch rows are multiplied only on output.
    The arithmetic (the order of the additions included) is that of the rules in
    docs/attribution.md, so the credits are the same doubles to the last bit.
-#}

{%- set models = attribution_models() -%}
{%- set compiled = attribution_credit_rules(models) %}

with journey_touches as (

    select * from {{ ref('int_attribution__journeys') }}

),

attribution_model_weights as (

    select * from {{ ref('attribution_model_weights') }}

),

journey_positions as (

    -- one window, so one sort and one pass (row_number ignores the whole-journey frame); the
    -- partition key compares as bytes ("C"), which sorts faster and groups the same ids
    select
        opportunity_id,
        touchpoint_id,
        person_id,
        touched_at,
        campaign_id,
        channel,
        is_won,
        amount::double precision as amount,
        row_number() over whole_journey as touch_position,
        count(*) over whole_journey as touch_count,
        count(*) filter (where touched_at <= people_created_at) over whole_journey as lc_position,
        count(*) filter (where touched_at <= opportunity_created_at) over whole_journey as oc_position,
        count(*) filter (where is_won and touched_at <= window_end) over whole_journey as cw_position
        {%- if compiled.has_time_decay %},
        -- 2^(-d / half_life) with d measured to the journey's last touch rather than window_end:
        -- the same shares once normalised, and a journey's weights can never all underflow to 0
        power(
            2.0::double precision,
            -date_part('epoch', max(touched_at) over whole_journey - touched_at)
                / (86400.0 * {{ var('time_decay_half_life_days') }}::double precision)
        ) as decay_weight
        {%- endif %}
    from journey_touches
    window whole_journey as (
        partition by opportunity_id collate "C"
        order by touched_at, touchpoint_id collate "C"
        rows between unbounded preceding and unbounded following
    )

),

journey_middles as (

    -- per touch, the milestones it holds and the models' middle ends and middle counts:
    -- journey-level values, cheaper to repeat on each touch than to join back
    select
        opportunity_id,
        touchpoint_id,
        person_id,
        touched_at,
        campaign_id,
        channel,
        is_won,
        amount,
        touch_position,
        touch_count,
        lc_position,
        oc_position,
        cw_position,
        touch_position in (1, lc_position, oc_position, cw_position, touch_count) as holds_milestone,
        -- inside a journey (strictly after FT, before LT) only LC, OC and CW can be held
        touch_position in (lc_position, oc_position, cw_position) as holds_inner_milestone,
        {%- if compiled.has_time_decay %}
        decay_weight / sum(decay_weight) over journey as decay_share,
        {%- endif %}
        {%- for column in compiled.journey_columns %}
        {{ column }},
        {%- endfor %}
        concat_ws(
            ',',
            case when touch_position = 1 then 'FT' end,
            case when touch_position = lc_position then 'LC' end,
            case when touch_position = oc_position then 'OC' end,
            case when touch_position = cw_position then 'CW' end,
            case when touch_position = touch_count then 'LT' end
        ) as milestones
    from journey_positions
    -- the input is already sorted by this partition: no second sort
    window journey as (partition by opportunity_id collate "C")

),

journey_spreads as (

    -- per touch and position model, the spread: the unplaced weight in equal parts to each of
    -- the model's milestones that is present
    select
        *
        {%- for column in compiled.spread_columns %},
        {{ column }}
        {%- endfor %}
    from journey_middles
    -- a fence: each spread is computed once per touch, not once per use below
    offset 0

),

model_credits as (

    -- wide, then unpivoted: each model's credit is one element of an array, and unnest turns the
    -- array into one row per touch and model (set-returning functions in the select list run in
    -- step, pairing each model with its credit without a join)
    select
        opportunity_id,
        touchpoint_id,
        campaign_id,
        channel,
        is_won,
        amount,
        person_id,
        touched_at,
        touch_position,
        touch_count,
        milestones,
        {%- if compiled.credits %}
        unnest(array[{{ compiled.model_names | join(', ') }}]::text[]) as model,
        unnest(array[
            {{ compiled.credits | join(',\n            ') }}
        ]::double precision[]) as credit
        {%- else %}
        -- the seed had no rows when this model was compiled
        null::text as model,
        null::double precision as credit
        {%- endif %}
    from journey_spreads
    {%- if not compiled.credits %}
    where false
    {%- endif %}

),

weights_check as (

    -- the weights are compiled in: rather than write credits of a seed that changed since (the
    -- compiled SQL re-run by hand), fail with a cast error naming the cause
    {{ attribution_weights_check(models, 'attribution_model_weights') }}

),

final as (

    select
        opportunity_id,
        touchpoint_id,
        campaign_id,
        channel,
        model,
        credit,
        credit * amount as attributed_pipeline,
        case when is_won then credit * amount else 0 end as attributed_revenue,
        person_id,
        touched_at,
        touch_position,
        touch_count,
        milestones
    from model_credits
    where (select failed from weights_check) is null

)

select * from final
