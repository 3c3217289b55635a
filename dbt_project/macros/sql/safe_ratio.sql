{% macro safe_ratio(numerator, denominator) -%}
    {#- numerator / denominator as double precision; null (never 0 or an error) when the denominator is 0 -#}
    (({{ numerator }})::double precision / nullif(({{ denominator }})::double precision, 0))
{%- endmacro %}
