{% macro to_num(expr) -%}
    case when trim({{ expr }}) ~ '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' then trim({{ expr }})::numeric end
{%- endmacro %}
