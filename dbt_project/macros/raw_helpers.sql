{#
    Helpers for reading the raw layer: every raw table keeps every extracted version of a record
    as `record jsonb`; staging picks the latest version per id and casts API strings to types.
#}

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


{% macro to_ts(expr) -%}
    {#-
        An API timestamp string as timestamptz (UTC): ISO-8601 with `Z`, `+0000` or `+00:00`
        offsets (Salesforce, HubSpot v3), epoch milliseconds (HubSpot legacy properties), or a
        bare date (midnight UTC). Empty strings are null.
        The common case is tested first and without a regex: a colon means a time of day, so the
        string is neither empty, epoch milliseconds nor a bare date (the regex checks were a third
        of stg_salesforce__tasks' query).
    -#}
    case
        when strpos({{ expr }}, ':') > 0 then trim({{ expr }})::timestamptz
        when nullif(trim({{ expr }}), '') is null then null
        when trim({{ expr }}) ~ '^-?[0-9]+$' then to_timestamp(trim({{ expr }})::numeric / 1000.0)
        when trim({{ expr }}) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then (trim({{ expr }}) || 'T00:00:00Z')::timestamptz
        else trim({{ expr }})::timestamptz
    end
{%- endmacro %}


{% macro to_date(expr) -%}
    {#-
        An API date string as a date: "YYYY-MM-DD" (anything after the date is ignored) or epoch
        milliseconds (its UTC date). Empty strings are null. The common case is tested first: a
        digit first and a dash fifth is never empty or epoch milliseconds (a dash fifth alone is:
        four spaces before a negative epoch).
    -#}
    case
        when ascii({{ expr }}) between 48 and 57 and substr({{ expr }}, 5, 1) = '-'
            then left(trim({{ expr }}), 10)::date
        when nullif(trim({{ expr }}), '') is null then null
        when trim({{ expr }}) ~ '^-?[0-9]+$' then (to_timestamp(trim({{ expr }})::numeric / 1000.0) at time zone 'UTC')::date
        else left(trim({{ expr }}), 10)::date
    end
{%- endmacro %}


{% macro to_num(expr) -%}
    case when trim({{ expr }}) ~ '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' then trim({{ expr }})::numeric end
{%- endmacro %}


{% macro to_bool(expr) -%}
    case lower(trim({{ expr }})) when 'true' then true when 'false' then false end
{%- endmacro %}


{% macro norm_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}


{% macro norm_domain(expr) -%}
    {#- a website or email domain reduced to its host: no scheme, `www.`, path, port or case -#}
    nullif(
        regexp_replace(
            regexp_replace(lower(trim({{ expr }})), '^([a-z]+://)?(www\.)?', ''),
            '[:/?#].*$', ''
        ),
        ''
    )
{%- endmacro %}


{% macro sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}


{% macro as_of() -%}
    {#- the run's as-of time: var `as_of` (ISO-8601) or, when empty, the current time -#}
    {%- set v = var('as_of', '') -%}
    {%- if v is none or (v | string | trim) == '' -%}
        now()
    {%- else -%}
        '{{ v }}'::timestamptz
    {%- endif -%}
{%- endmacro %}


{% macro days_between(a, b) -%}
    (extract(epoch from ({{ b }}) - ({{ a }})) / 86400.0)::double precision
{%- endmacro %}


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


{% macro month_of(ts) -%}
    {#- the UTC calendar month of a timestamptz, as a date (first day of the month) -#}
    (date_trunc('month', ({{ ts }}) at time zone 'UTC'))::date
{%- endmacro %}


{% macro month_of_date(d) -%}
    {#- the calendar month of a date (an opportunity's close month: METRICS.md's "month of its
        close_date"), as a date; through timestamp, so the session's time zone plays no part -#}
    date_trunc('month', ({{ d }})::timestamp)::date
{%- endmacro %}


{% macro week_of(ts) -%}
    {#- the ISO week (Monday) of a timestamptz in UTC, as a date -#}
    (date_trunc('week', ({{ ts }}) at time zone 'UTC'))::date
{%- endmacro %}


{% macro safe_ratio(numerator, denominator) -%}
    {#- numerator / denominator as double precision; null (never 0 or an error) when the denominator is 0 -#}
    (({{ numerator }})::double precision / nullif(({{ denominator }})::double precision, 0))
{%- endmacro %}


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


{% macro extracted_since_last_run(of_rows='true') -%}
    {#-
        In an incremental run, true for rows extracted after the newest extraction this model has
        already processed (less var incremental_lookback_hours); in a full build, true. The model
        keeps its inputs' `_extracted_at`; `of_rows` restricts the watermark to the model's rows
        from one input when it reads several.
    -#}
    {%- if is_incremental() -%}
    _extracted_at > (
        select coalesce(max(_extracted_at), '-infinity'::timestamptz) from {{ this }} where {{ of_rows }}
    ) - interval '{{ var("incremental_lookback_hours", 0) }} hours'
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{% macro text_literal(value) -%}
    {#- a value known when the model compiles, as a SQL text literal (single quotes doubled) -#}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
