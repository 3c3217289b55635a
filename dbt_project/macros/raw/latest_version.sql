{% macro latest_version(relation, properties=false) -%}
    {#-
        The newest extracted version of every id (ties: the later extraction wins), in the raw
        layout (id, source_updated_at, record, is_deleted, _extracted_at, _batch_id), plus `fields`:
        the same record decompressed once, for the staging select list to read.
        Why: PostgreSQL stores a record over ~2 kB compressed (out of line when still large) and
        fetches and decompresses it again for every `record->>…` of a select list. `record || '{}'`
        is the record itself, detoasted (an object concatenated with an empty object is that object;
        raw records are always objects); the `offset 0` fence keeps it from being inlined into each
        use. `record` itself stays as stored, so writing it to the staging table copies the
        compressed bytes instead of compressing again. Real Salesforce records carry every
        describe field: with 120 custom fields per lead (5 kB) the staging query of 70k leads takes
        2.4 s instead of 15.4 s (benchmarks/bench_staging.py).
        properties=true also adds the HubSpot record's `properties` object as a column of its own
        (read from `fields` once, not once per property).
    -#}
    select *{% if properties %}, fields->'properties' as properties{% endif %}
    from (
        select *, record || '{}'::jsonb as fields
        from (
            select distinct on (id) *
            from {{ relation }}
            order by id, source_updated_at desc, _extracted_at desc
        ) as newest
        offset 0
    ) as decompressed
    {%- if properties %}
    offset 0
    {%- endif %}
{%- endmacro %}
