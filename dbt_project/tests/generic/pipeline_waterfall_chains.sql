{#- Each week's opening amount is the previous week's closing amount (the weeks chain with no gap). -#}
{% test pipeline_waterfall_chains(model) %}

    select *
    from (
        select
            snapshot_week,
            opening_amount,
            lag(closing_amount) over (order by snapshot_week) as previous_closing,
            lag(snapshot_week) over (order by snapshot_week) as previous_week
        from {{ model }}
    ) as chained
    where (previous_week is null and opening_amount <> 0)
        or (previous_week is not null and (previous_week <> snapshot_week - 7 or opening_amount <> previous_closing))

{% endtest %}
