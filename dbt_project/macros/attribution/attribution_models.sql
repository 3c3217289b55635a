{% macro attribution_models() %}
    {#-
        The rows of seed `attribution_model_weights` as a list of dicts (model, method,
        ft_weight, lc_weight, oc_weight, cw_weight, lt_weight, middle_weight, middle_touches),
        read when a model is compiled to run. attribution_touchpoint_credit turns them into one
        credit column per model with the weights as constants (docs/attribution.md).

        dbt compiles a node just before it runs it, after its parents (the seed among them) in
        the same invocation, so an edited seed is always the one read. Empty at parse time and
        when the seed table does not exist yet (`dbt compile` / `dbt docs generate` on a fresh
        database); the credit model checks at run time that the seed still holds these rows.

        Unit tests cannot run this query against their given rows, so they pass the same rows
        as a macro override:  overrides: {macros: {attribution_models: [...]}}
    -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if model.resource_type == 'unit_test' -%}
        {{ exceptions.raise_compiler_error(
            "unit test " ~ model.name ~ ": give the weights seed rows also as "
            ~ "overrides: {macros: {attribution_models: [...]}} (the model reads them when compiled)") }}
    {%- endif -%}
    {%- set relation = load_relation(ref('attribution_model_weights')) -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query(
        "select model, method, ft_weight, lc_weight, oc_weight, cw_weight, lt_weight, middle_weight,"
        ~ " middle_touches from " ~ relation ~ " order by model") -%}
    {%- set models = [] -%}
    {%- for row in result.rows -%}
        {%- do models.append(row.dict()) -%}
    {%- endfor -%}
    {{ return(models) }}
{% endmacro %}
