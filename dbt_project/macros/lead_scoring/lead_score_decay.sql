{% macro lead_score_decay(from_ts, to_ts) -%}
    {#- 2^(-days / score_half_life_days) between two times; 1 when the half-life is 0 (decay off) -#}
    {%- set half_life = var('score_half_life_days') | float -%}
    {%- if half_life > 0 -%}
        power(2.0::double precision,
            -date_part('epoch', ({{ to_ts }}) - ({{ from_ts }})) / (86400.0 * {{ half_life }}))
    {%- else -%}
        1.0::double precision
    {%- endif -%}
{%- endmacro %}
