{#
    Marts live in schema `marts`, not `<target>_marts`: BI tools and the bi_reader grants name the
    schemas directly, so the custom schema name is used as-is.

    Write-audit-publish (funnelhouse/publish.py): a run builds the marts into a shadow schema,
    `--vars '{marts_schema: marts__next}'`, which is validated and then swapped in as `marts` in one
    transaction. The default (`marts`) builds in place, for development only.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
