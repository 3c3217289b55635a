{% macro incremental_raw(source_name, table_name) -%}
    {#-
        The raw versions a staging model reads. Full build: every version. Incremental build: every
        version of the ids that received a version extracted since the newest load already staged
        (minus var incremental_lookback_hours, default 0: the DAG runs dbt after extraction has committed; set it when loads may still be committing while dbt runs), so the latest version of each affected id
        is recomputed from its whole history and late / out-of-order versions are handled exactly as
        a full refresh would.
    -#}
    {%- set relation = source_or_empty(source_name, table_name) -%}
    select * from {{ relation }}
    {%- if is_incremental() %}
    where id in (
        select id from {{ relation }}
        where {{ extracted_since_last_run() }}
    )
    {%- endif %}
{%- endmacro %}
