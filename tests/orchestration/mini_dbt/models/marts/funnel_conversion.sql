{#- Shaped like the real mart (docs/metrics.md) so the real GX marts suite validates it. Setting the env
    var FH_PLANT_DEFECT=true plants a conversion rate above 1, a critical data-quality failure.
    FH_PLANT_DUPLICATES=true doubles every row (its `unique` test fails) in a build of the whole project
    only: a `dbt build --select funnel_conversion` (a retry of this model's task) builds it clean. -#}
{%- set duplicate = env_var('FH_PLANT_DUPLICATES', 'false') == 'true' and not invocation_args_dict.get('select') %}
select
    date '2026-01-01' as cohort_month,
    s.stage as from_stage,
    'customer' as to_stage,
    'email' as channel,
    'c1' as campaign_id,
    10 as cohort_count,
    5 as converted_count,
    {% if env_var('FH_PLANT_DEFECT', 'false') == 'true' %}1.5{% else %}0.5{% endif %}::numeric as conversion_rate,
    {% if var('as_of') %}'{{ var("as_of") }}'::timestamptz{% else %}now(){% endif %} as as_of
from {{ ref('stg_mini__stages') }} s
{% if duplicate %}cross join (values (1), (2)) as planted(copy){% endif %}
