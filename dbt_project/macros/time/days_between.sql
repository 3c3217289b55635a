{% macro days_between(a, b) -%}
    (extract(epoch from ({{ b }}) - ({{ a }})) / 86400.0)::double precision
{%- endmacro %}
