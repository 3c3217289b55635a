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
