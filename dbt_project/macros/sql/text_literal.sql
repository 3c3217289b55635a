{% macro text_literal(value) -%}
    {#- a value known when the model compiles, as a SQL text literal (single quotes doubled) -#}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
