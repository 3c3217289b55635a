{% macro week_of(ts) -%}
    {#- the ISO week (Monday) of a timestamptz in UTC, as a date -#}
    (date_trunc('week', ({{ ts }}) at time zone 'UTC'))::date
{%- endmacro %}
