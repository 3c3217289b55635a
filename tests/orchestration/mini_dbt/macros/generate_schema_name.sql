{#
    Marts live in schema `marts`, not `<target>_marts`: BI tools and the bi_reader grants name the
    schemas directly, so the custom schema name is used as-is.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
