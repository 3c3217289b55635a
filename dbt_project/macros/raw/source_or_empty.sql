{% macro source_or_empty(source_name, table_name) -%}
    {#-
        The raw table, or an empty relation of the raw layout when the extractor has not created it
        (an object the source does not expose, e.g. marketing events on a portal without them).
    -#}
    {%- set rel = source(source_name, table_name) -%}
    {%- set found = rel -%}
    {%- if execute -%}
        {%- set found = load_relation(rel) -%}
    {%- endif -%}
    {%- if found is not none -%}
        {{ rel }}
    {%- else -%}
        (
            select
                null::text as id,
                null::timestamptz as source_updated_at,
                null::jsonb as record,
                false as is_deleted,
                null::timestamptz as _extracted_at,
                null::text as _batch_id
            where false
        )
    {%- endif -%}
{%- endmacro %}
