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
