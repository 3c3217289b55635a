{% macro to_bool(expr) -%}
    case lower(trim({{ expr }})) when 'true' then true when 'false' then false end
{%- endmacro %}
