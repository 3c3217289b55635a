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
