{% macro lead_score_rule_matches(value, rule) -%}
    {#-
        does the attribute value `value` satisfy the rule `rule` (a relation alias with columns
        operator, value)? eq / ne: text equality (case-insensitive); in: one of a `|`-separated
        list; gte / lte: numeric comparison; any: the attribute is present
    -#}
    case {{ rule }}.operator
        when 'eq' then lower({{ value }}) = lower({{ rule }}.value)
        when 'ne' then lower({{ value }}) <> lower({{ rule }}.value)
        when 'in' then lower({{ value }}) = any(string_to_array(lower({{ rule }}.value), '|'))
        when 'gte' then {{ value }} ~ '^-?[0-9]+(\.[0-9]+)?$'
            and {{ value }}::numeric >= {{ rule }}.value::numeric
        when 'lte' then {{ value }} ~ '^-?[0-9]+(\.[0-9]+)?$'
            and {{ value }}::numeric <= {{ rule }}.value::numeric
        when 'any' then {{ value }} is not null
        else false
    end
{%- endmacro %}
