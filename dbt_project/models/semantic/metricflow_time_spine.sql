{#-
    MetricFlow's day time spine: one row per calendar day. It bounds what time-spine joins (metrics
    filled with 0 over empty days, offsets) can show, so it spans every date a CRM record may carry:
    2000 through 2045.
-#}

with days as (

    select generate_series('2000-01-01'::date, '2045-12-31'::date, interval '1 day')::date as date_day

),

final as (

    select date_day from days

)

select * from final
