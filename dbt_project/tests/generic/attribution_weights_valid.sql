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
