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
