{% macro attribution_credit_rules(models) %}
    {#-
        Compiles the rows of seed `attribution_model_weights` (as attribution_models returns them)
        into the SQL that attribution_touchpoint_credit runs: per model, its credit expression
        over one journey touch, with the weights as constants and the terms of zero weights left
        out (docs/attribution.md, "How it is computed"). Returns a dict:
          has_time_decay   -- a time_decay model is present (the model then computes decay_share)
          journey_columns  -- "<sql> as middle_end_<i>" / "<sql> as middle_count_<i>": journey-level
                              values of the models with a middle weight, computed once per touch
          spread_columns   -- "<sql> as spread_<i>": per position model, the unplaced weight (missing
                              milestones, the middle weight without middle touches) over the
                              number of its present milestones
          model_names      -- the models' names as SQL text literals, in seed order (by model)
          credits          -- the models' credit expressions, in the same order
        Columns the expressions read: touch_position, touch_count, lc_position, oc_position,
        cw_position, holds_milestone, holds_inner_milestone, decay_share, and the middle_end_<i>,
        middle_count_<i>, spread_<i> columns above. The additions happen in the order of the rules
        (FT, LC, OC, CW, LT, middle), so the credits are the same doubles to the last bit.
    -#}
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
        {#- the middle count as the later steps name it: a journey column or a constant -#}
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
    {%- endfor -%}

    {%- set compiled = {
        'has_time_decay': rules | selectattr('is_time_decay') | list | length > 0,
        'journey_columns': [], 'spread_columns': [], 'model_names': [], 'credits': [],
    } -%}
    {%- for rule in rules -%}
        {%- if rule.weighted.middle and not rule.is_time_decay -%}
            {%- if rule.middle_end != '1' -%}
                {%- do compiled.journey_columns.append(rule.middle_end ~ ' as middle_end_' ~ rule.i) -%}
            {%- endif -%}
            {%- if rule.middle_count not in ('0', 'touch_count') -%}
                {%- do compiled.journey_columns.append(rule.middle_count ~ ' as middle_count_' ~ rule.i) -%}
            {%- endif -%}
        {%- endif -%}
        {%- if not rule.is_time_decay -%}
            {%- if rule.unplaced | length == 0 or rule.present | length == 0 -%}
                {%- do compiled.spread_columns.append('0::double precision as spread_' ~ rule.i) -%}
            {%- else -%}
                {%- do compiled.spread_columns.append('coalesce((' ~ rule.unplaced | join(' + ')
                    ~ ') / nullif(' ~ rule.present | join(' + ') ~ ', 0), 0) as spread_' ~ rule.i) -%}
            {%- endif -%}
        {%- endif -%}
        {%- do compiled.model_names.append(text_literal(rule.model)) -%}
        {%- do compiled.credits.append(rule.credit) -%}
    {%- endfor -%}
    {{ return(compiled) }}
{% endmacro %}
