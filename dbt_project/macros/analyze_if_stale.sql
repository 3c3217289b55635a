{% macro analyze_if_stale() -%}
    {#-
        The post-hook of every model built as a table: ANALYZE it now when autovacuum would later
        (rows this build changed > autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x
        the rows at its last analyze), so the later models of the same run plan their joins with
        statistics that describe it. A relation built anew (table models, first builds, full
        refreshes) has none yet and is always analysed; an hourly incremental run that changed 0.5 %
        of a staging table keeps the statistics it has, which still describe it, instead of paying
        0.3-0.7 s to sample a wide table again (0.73 s of stg_salesforce__tasks' 1.2 s at 100k people).
        The counts are this transaction's (pg_stat_xact_user_tables): dbt runs post-hooks inside the
        model's transaction, after the write.
    -#}
    {%- if config.get('materialized') not in ('view', 'ephemeral') -%}
    do $analyze_if_stale$
    begin
        if (
            select
                class.reltuples < 0
                or coalesce(changes.n_tup_ins + changes.n_tup_upd + changes.n_tup_del, 0)
                    > current_setting('autovacuum_analyze_threshold')::double precision
                    + current_setting('autovacuum_analyze_scale_factor')::double precision * class.reltuples
            from pg_class as class
            left join pg_stat_xact_user_tables as changes
                on changes.relid = class.oid
            where class.oid = '{{ this }}'::regclass
        ) then
            analyze {{ this }};
        end if;
    end
    $analyze_if_stale$
    {%- endif -%}
{%- endmacro %}
