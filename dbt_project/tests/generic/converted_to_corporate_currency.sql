{#-
    Every record with a source amount has it in the corporate currency: a failure row per currency
    with no rate (METRICS "Money": a record in a currency without a rate is never dropped or
    summed raw, its converted amount is null and this critical check fails, naming the currency).
-#}
{% test converted_to_corporate_currency(model, column_name, amount, currency) %}

    select
        {{ currency }} as currency_without_rate,
        count(*) as records
    from {{ model }}
    where {{ amount }} is not null and {{ column_name }} is null
    group by {{ currency }}

{% endtest %}
