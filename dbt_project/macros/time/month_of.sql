{% macro month_of(ts) -%}
    {#- the UTC calendar month of a timestamptz, as a date (first day of the month) -#}
    (date_trunc('month', ({{ ts }}) at time zone 'UTC'))::date
{%- endmacro %}
