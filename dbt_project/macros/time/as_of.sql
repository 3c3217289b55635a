{% macro as_of() -%}
    {#- the run's as-of time: var `as_of` (ISO-8601) or, when empty, the current time -#}
    {%- set v = var('as_of') -%}
    {%- if v is none or (v | string | trim) == '' -%}
        now()
    {%- else -%}
        '{{ v }}'::timestamptz
    {%- endif -%}
{%- endmacro %}
