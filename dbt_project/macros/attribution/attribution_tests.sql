{#- Generic data tests of the attribution and value marts (no dbt packages: written here). -#}

{% test attribution_unique_key(model, columns) %}
    {#- no two rows share the values of `columns` -#}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}


{% test attribution_credits_sum_to_one(model, tolerance=1e-9) %}
    {#- every journey's credits sum to 1 under every model -#}
    select opportunity_id, model, sum(credit) as total_credit
    from {{ model }}
    group by opportunity_id, model
    having abs(sum(credit) - 1) > {{ tolerance }}
{% endtest %}


{% test attribution_every_journey_every_model(model) %}
    {#- each opportunity with a journey has credit rows under every model of the seed -#}
    with journeys as (
        select distinct opportunity_id from {{ ref('int_attribution__journeys') }}
    ),
    models as (
        select model from {{ ref('attribution_model_weights') }}
    ),
    present as (
        select distinct opportunity_id, model from {{ model }}
    )
    select journeys.opportunity_id, models.model
    from journeys
    cross join models
    left join present
        on present.opportunity_id = journeys.opportunity_id and present.model = models.model
    where present.opportunity_id is null
{% endtest %}


{% test attribution_reconciles(model, tolerance=0.005) %}
    {#-
        per model, attributed revenue summed over campaigns (with the null-campaign row) equals
        the total won amount, and attributed pipeline equals the total opportunity amount
    -#}
    with totals as (
        select
            coalesce(sum(amount) filter (where is_won), 0) as won_amount,
            coalesce(sum(amount), 0) as total_amount
        from {{ ref('fct_opportunities') }}
    ),
    models as (
        select model from {{ ref('attribution_model_weights') }}
    ),
    attributed as (
        select
            model,
            coalesce(sum(attributed_revenue), 0) as revenue,
            coalesce(sum(attributed_pipeline), 0) as pipeline
        from {{ model }}
        group by model
    )
    select models.model, attributed.revenue, totals.won_amount, attributed.pipeline, totals.total_amount
    from models
    cross join totals
    left join attributed on attributed.model = models.model
    where abs(coalesce(attributed.revenue, 0) - totals.won_amount) > {{ tolerance }}
        or abs(coalesce(attributed.pipeline, 0) - totals.total_amount) > {{ tolerance }}
{% endtest %}


{% test attribution_weights_valid(model, tolerance=1e-9) %}
    {#-
        every model of the weights seed is usable: a known method, a known middle rule,
        non-null, non-negative weights summing to 1 for position models (an empty CSV cell would
        otherwise make the sum null and slip through), and at least one milestone or
        `middle_touches = all` (so a journey always has somewhere to put its credit)
    -#}
    select *
    from {{ model }}
    where method not in ('position', 'time_decay')
        or middle_touches not in ('between', 'all')
        or least(ft_weight, lc_weight, oc_weight, cw_weight, lt_weight, middle_weight) < 0
        or (method = 'position'
            and num_nulls(ft_weight, lc_weight, oc_weight, cw_weight, lt_weight, middle_weight) > 0)
        or (method = 'position' and abs(
            ft_weight + lc_weight + oc_weight + cw_weight + lt_weight + middle_weight - 1
        ) > {{ tolerance }})
        or (method = 'position' and middle_touches = 'between'
            and ft_weight + lc_weight + oc_weight + cw_weight + lt_weight = 0)
{% endtest %}


{% test attribution_column_total(model, column_name, of, expression, condition='true', tolerance=0.01) %}
    {#- reconciliation: the column summed over the model equals `expression` over `of` (where `condition`) -#}
    with actual as (
        select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
    ),
    expected as (
        select coalesce({{ expression }}, 0) as total from {{ of }} where {{ condition }}
    )
    select actual.total as actual_total, expected.total as expected_total
    from actual cross join expected
    where abs(actual.total - expected.total) > {{ tolerance }}
{% endtest %}


{% test attribution_expression_holds(model, expression) %}
    {#- every row satisfies `expression` -#}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}
