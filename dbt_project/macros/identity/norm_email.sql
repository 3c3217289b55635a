{% macro norm_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}
