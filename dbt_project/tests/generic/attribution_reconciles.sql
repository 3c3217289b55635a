{% test attribution_reconciles(model, tolerance=0.005) %}
    {#-
        per model, attributed revenue summed over campaigns (with the null-campaign row) equals
        the total won amount, and attributed pipeline equals the total opportunity amount
    -#}
    with totals as (
        select
            coalesce(sum(amount_corporate) filter (where is_won), 0) as won_amount,
            coalesce(sum(amount_corporate), 0) as total_amount
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
