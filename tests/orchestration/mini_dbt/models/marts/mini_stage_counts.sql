select
    stage,
    count(*) as entered_count,
    {% if var('as_of') %}'{{ var("as_of") }}'::timestamptz{% else %}now(){% endif %} as as_of
from {{ ref('stg_mini__stages') }}
group by 1
