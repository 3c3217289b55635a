{{ config(pre_hook="set local work_mem = '{{ var(\"attribution_work_mem\", \"256MB\") }}'") }}

{#-
    Credit of every touch of every opportunity's journey under every attribution model
    (METRICS.md section 3), computed wide then unpivoted:
    1. one sorted window pass over the journeys gives each touch its position, the journey
       length and the positions of the milestones (LC / OC / CW are "the last touch at or
       before a time", which in a journey ordered by touched_at is the count of touches up to
       that time);
    2. per touch, one credit column per model of the seed `attribution_model_weights`: the
       seed rows are read when the model is compiled (macro attribution_models) and each
       model's rules are written out with its weights as constants, so a model costs a few
       comparisons per touch and the terms of its zero weights are not there at all;
    3. unnest turns the columns into one row per model: no join against a per-opportunity x
       model table, the touch rows are multiplied only on output.
    The arithmetic (the order of the additions included) is that of the rules in
    docs/attribution.md, so the credits are the same doubles to the last bit.
-#}

{%- set models = attribution_models() -%}
{%- set has_time_decay = models | selectattr('method', 'equalto', 'time_decay') | list | length > 0 -%}

{#- per position model, the SQL of its journey-level terms; the weights are seed constants -#}
{%- set rules = [] -%}
{%- for m in models -%}
    {%- set i = loop.index -%}
    {%- set w = {} -%}
    {%- for key in ['ft', 'lc', 'oc', 'cw', 'lt', 'middle'] -%}
        {%- set value = m[key ~ '_weight'] -%}
        {%- do w.update({key: (value if value is not none else 0)}) -%}
    {%- endfor -%}
    {%- set weighted = {} -%}
    {%- for key in ['ft', 'lc', 'oc', 'cw', 'lt', 'middle'] -%}
        {%- do weighted.update({key: (w[key] | float) > 0}) -%}
    {%- endfor -%}
    {%- set middle_is_all = m.middle_touches == 'all' -%}
    {#- the last of the model's present milestones (a missing one has position 0) -#}
    {%- set ends = ['1'] -%}
    {%- if weighted.lc %}{% do ends.append('lc_position') %}{% endif -%}
    {%- if weighted.oc %}{% do ends.append('oc_position') %}{% endif -%}
    {%- if weighted.cw %}{% do ends.append('cw_position') %}{% endif -%}
    {%- if weighted.lt %}{% do ends.append('touch_count') %}{% endif -%}
    {%- set middle_end = ('greatest(' ~ ends | join(', ') ~ ')') if ends | length > 1 else '1' -%}
    {#- middle touches: positions strictly between FT (1) and middle_end, less those holding LC, OC or CW -#}
    {%- if middle_is_all -%}
        {%- set middle_count = 'touch_count' -%}
    {%- elif middle_end == '1' -%}
        {%- set middle_count = '0' -%}
    {%- else -%}
        {%- set middle_count = 'greatest(' ~ middle_end ~ ' - 2, 0)'
            ~ ' - (lc_position > 1 and lc_position < ' ~ middle_end ~ ')::int'
            ~ ' - (oc_position > 1 and oc_position < ' ~ middle_end ~ ' and oc_position <> lc_position)::int'
            ~ ' - (cw_position > 1 and cw_position < ' ~ middle_end
            ~ ' and cw_position <> lc_position and cw_position <> oc_position)::int' -%}
    {%- endif -%}
    {#- how many of the model's milestones the journey has -#}
    {%- set present = [] -%}
    {%- set fixed = (1 if weighted.ft else 0) + (1 if weighted.lt else 0) -%}
    {%- if fixed > 0 %}{% do present.append(fixed | string) %}{% endif -%}
    {%- if weighted.lc %}{% do present.append('(lc_position > 0)::int') %}{% endif -%}
    {%- if weighted.oc %}{% do present.append('(oc_position > 0)::int') %}{% endif -%}
    {%- if weighted.cw %}{% do present.append('(cw_position > 0)::int') %}{% endif -%}
    {#- weight of the missing milestones, and the middle weight when there is no middle touch -#}
    {%- set unplaced = [] -%}
    {%- for key in ['lc', 'oc', 'cw'] if weighted[key] -%}
        {%- do unplaced.append('case when ' ~ key ~ '_position = 0 then '
            ~ w[key] ~ '::double precision else 0 end') -%}
    {%- endfor -%}
    {#- the middle count as the later steps name it: a column of journey_middles or a constant -#}
    {%- set middle_count_ref = middle_count if middle_count in ('0', 'touch_count') else 'middle_count_' ~ i -%}
    {%- if weighted.middle and not middle_is_all -%}
        {%- do unplaced.append(w.middle ~ '::double precision' if middle_count == '0' else
            'case when ' ~ middle_count_ref ~ ' = 0 then ' ~ w.middle ~ '::double precision else 0 end') -%}
    {%- endif -%}
    {#- what one middle touch gets -#}
    {%- set middle_credit = '0' if not weighted.middle or middle_count == '0' else
        'case when ' ~ middle_count_ref ~ ' > 0 then ' ~ w.middle ~ '::double precision / '
        ~ middle_count_ref ~ ' else 0 end' -%}
    {#- a touch holding milestones: the sum of their weights plus the spread each, in the order
        FT, LC, OC, CW, LT, middle (the terms of zero weights are exact zeros, left out) -#}
    {%- set terms = [] -%}
    {%- for key, position in [('ft', '1'), ('lc', 'lc_position'), ('oc', 'oc_position'),
                              ('cw', 'cw_position'), ('lt', 'touch_count')] if weighted[key] -%}
        {%- do terms.append('case when touch_position = ' ~ position ~ ' then ' ~ w[key]
            ~ '::double precision + spread_' ~ i ~ ' else 0 end') -%}
    {%- endfor -%}
    {%- if middle_credit != '0' -%}
        {%- do terms.append(middle_credit if middle_is_all else
            'case when touch_position > 1 and touch_position < middle_end_' ~ i
            ~ ' and not holds_inner_milestone then ' ~ middle_credit ~ ' else 0 end') -%}
    {%- endif -%}
    {#- a touch holding none (most touches): the middle share or nothing -#}
    {%- set plain_credit = middle_credit if middle_is_all or middle_credit == '0' else
        'case when touch_position < middle_end_' ~ i ~ ' then ' ~ middle_credit ~ ' else 0 end' -%}
    {%- if m.method == 'time_decay' -%}
        {%- set credit = 'decay_share' -%}
    {%- elif terms == [plain_credit] -%}
        {%- set credit = plain_credit -%}
    {%- else -%}
        {%- set credit = 'case when not holds_milestone then ' ~ plain_credit ~ '\n            else '
            ~ (terms | join('\n                + ') if terms else '0') ~ '\n        end' -%}
    {%- endif -%}
    {%- do rules.append({
        'i': i, 'model': m.model, 'is_time_decay': m.method == 'time_decay', 'weighted': weighted,
        'middle_end': middle_end, 'middle_count': middle_count, 'present': present,
        'unplaced': unplaced, 'credit': credit,
    }) -%}
{%- endfor %}

with journey_touches as (

    select * from {{ ref('int_attribution__journeys') }}

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
        {%- if has_time_decay %},
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
        {%- if has_time_decay %}
        decay_weight / sum(decay_weight) over journey as decay_share,
        {%- endif %}
        {%- for rule in rules if rule.weighted.middle and not rule.is_time_decay %}
        {%- if rule.middle_end != '1' %}
        {{ rule.middle_end }} as middle_end_{{ rule.i }},
        {%- endif %}
        {%- if rule.middle_count not in ('0', 'touch_count') %}
        {{ rule.middle_count }} as middle_count_{{ rule.i }},
        {%- endif %}
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
        {%- for rule in rules if not rule.is_time_decay %},
        {%- if rule.unplaced | length == 0 or rule.present | length == 0 %}
        0::double precision as spread_{{ rule.i }}
        {%- else %}
        coalesce(({{ rule.unplaced | join(' + ') }}) / nullif({{ rule.present | join(' + ') }}, 0), 0)
            as spread_{{ rule.i }}
        {%- endif %}
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
        {%- if rules %}
        unnest(array[
            {%- for rule in rules %}
            {{ text_literal(rule.model) }}{{ ',' if not loop.last }}
            {%- endfor %}
        ]::text[]) as model,
        unnest(array[
            {%- for rule in rules %}
            {{ rule.credit }}{{ ',' if not loop.last }}
            {%- endfor %}
        ]::double precision[]) as credit
        {%- else %}
        -- the seed had no rows when this model was compiled
        null::text as model,
        null::double precision as credit
        {%- endif %}
    from journey_spreads
    {%- if not rules %}
    where false
    {%- endif %}

),

compiled_weights (
    model, method, ft_weight, lc_weight, oc_weight, cw_weight, lt_weight, middle_weight, middle_touches
) as (

    -- the seed rows the credit columns below were written from
    {%- for m in models %}
    {{ 'values' if loop.first else '      ' }} (
        {%- for key in ['model', 'method'] %}
        {{ text_literal(m[key]) }}::text,
        {%- endfor %}
        {%- for key in ['ft', 'lc', 'oc', 'cw', 'lt', 'middle'] %}
        {{ m[key ~ '_weight'] if m[key ~ '_weight'] is not none else 'null' }}::numeric,
        {%- endfor %}
        {{ text_literal(m.middle_touches) }}::text
    ){{ ',' if not loop.last }}
    {%- else %}
    select null::text, null::text, null::numeric, null::numeric, null::numeric, null::numeric,
        null::numeric, null::numeric, null::text
    where false
    {%- endfor %}

),

seed_weights as (

    select
        model::text,
        method::text,
        ft_weight::numeric,
        lc_weight::numeric,
        oc_weight::numeric,
        cw_weight::numeric,
        lt_weight::numeric,
        middle_weight::numeric,
        middle_touches::text
    from {{ ref('attribution_model_weights') }}

),

changed_weights as (

    (select * from seed_weights except all select * from compiled_weights)
    union all
    (select * from compiled_weights except all select * from seed_weights)

),

weights_check as (

    -- the weights are read when the model is compiled: rather than write credits of a seed that
    -- changed since (the compiled SQL re-run by hand), fail with a cast error naming the cause
    select cast(
        case
            when count(*) > 0
                then 'attribution_model_weights changed after this model was compiled: recompile it'
        end as integer
    ) as failed
    from changed_weights

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
