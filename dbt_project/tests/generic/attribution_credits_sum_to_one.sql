{% test attribution_credits_sum_to_one(model, tolerance=1e-9) %}
    {#- every journey's credits sum to 1 under every model -#}
    select opportunity_id, model, sum(credit) as total_credit
    from {{ model }}
    group by opportunity_id, model
    having abs(sum(credit) - 1) > {{ tolerance }}
{% endtest %}
