{#-
    to_ts / to_date (macros/raw_helpers.sql) on every shape of date string the CRM APIs send, and on
    the edges of their fast paths: fails with the rows whose parsed value is not the expected one.
-#}

with cases (input, expected_at, expected_date) as (

    values
        ('2026-01-02T03:04:05.000+0000', '2026-01-02 03:04:05+00'::timestamptz, '2026-01-02'::date),
        ('2026-01-02T03:04:05Z', '2026-01-02 03:04:05+00', '2026-01-02'),
        (' 2026-01-02T23:04:05+02:00 ', '2026-01-02 21:04:05+00', '2026-01-02'),
        ('2026-01-02T03:04:05.123456+00:00', '2026-01-02 03:04:05.123456+00', '2026-01-02'),
        ('1767323045000', '2026-01-02 03:04:05+00', '2026-01-02'),
        ('1767323045123', '2026-01-02 03:04:05.123+00', '2026-01-02'),
        ('-86400000', '1969-12-31 00:00:00+00', '1969-12-31'),
        ('  -86400000', '1969-12-31 00:00:00+00', '1969-12-31'),
        ('    -86400000', '1969-12-31 00:00:00+00', '1969-12-31'),
        ('2026-01-02', '2026-01-02 00:00:00+00', '2026-01-02'),
        (' 2026-01-02 ', '2026-01-02 00:00:00+00', '2026-01-02'),
        ('', null, null),
        ('   ', null, null),
        (null, null, null)

),

parsed as (

    select
        input,
        expected_at,
        expected_date,
        {{ to_ts('input') }} as parsed_at,
        {{ to_date('input') }} as parsed_date
    from cases

),

final as (

    select *
    from parsed
    where parsed_at is distinct from expected_at
        or parsed_date is distinct from expected_date

)

select * from final
