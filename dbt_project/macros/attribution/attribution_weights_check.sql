{% macro attribution_weights_check(models, seed) %}
    {#-
        A query of one row and column `failed`: null when the relation `seed` (the weights seed, or
        an import CTE of it) holds exactly the rows `models` a credit model was compiled from
        (attribution_models), else a cast error naming the cause. The weights are compiled into the
        credit SQL, so the compiled SQL re-run by hand after a seed edit must fail rather than
        write credits of old weights (`dbt seed` + `dbt run` / `build` always recompile).
    -#}
    with compiled_weights (
        model, method, ft_weight, lc_weight, oc_weight, cw_weight, lt_weight, middle_weight, middle_touches
    ) as (

        -- the seed rows the credit columns were written from
        {%- for m in models %}
        {{ 'values' if loop.first else '      ' }} (
            {%- for key in ['model', 'method'] %}
            {{ text_literal(m[key]) }}::text,
            {%- endfor %}
            {%- for key in ['ft', 'lc', 'oc', 'cw', 'lt', 'middle'] %}
            {{ m[key ~ '_weight'] if m[key ~ '_weight'] is not none else 'null' }}::numeric,
            {%- endfor %}
            {{ text_literal(m.middle_touches) }}::text
        ){{ ',' if not loop.last }}
        {%- else %}
        select null::text, null::text, null::numeric, null::numeric, null::numeric, null::numeric,
            null::numeric, null::numeric, null::text
        where false
        {%- endfor %}

    ),

    seed_weights as (

        select
            model::text,
            method::text,
            ft_weight::numeric,
            lc_weight::numeric,
            oc_weight::numeric,
            cw_weight::numeric,
            lt_weight::numeric,
            middle_weight::numeric,
            middle_touches::text
        from {{ seed }}

    ),

    changed_weights as (

        (select * from seed_weights except all select * from compiled_weights)
        union all
        (select * from compiled_weights except all select * from seed_weights)

    )

    select cast(
        case
            when count(*) > 0
                then 'attribution_model_weights changed after this model was compiled: recompile it'
        end as integer
    ) as failed
    from changed_weights
{%- endmacro %}
