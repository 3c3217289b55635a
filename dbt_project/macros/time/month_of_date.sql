{% macro month_of_date(d) -%}
    {#- the calendar month of a date (an opportunity's close month: docs/metrics.md's "month of its
        close_date"), as a date; through timestamp, so the session's time zone plays no part -#}
    date_trunc('month', ({{ d }})::timestamp)::date
{%- endmacro %}
