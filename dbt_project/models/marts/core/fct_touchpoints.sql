{#-
    One row per marketing touch (docs/metrics.md §3), one touch per (person, campaign, touched_at):
    duplicates — e.g. a lead's and its converted contact's membership, or a HubSpot original-source
    touch coinciding with the first form conversion — collapse to one, preferring a Salesforce
    campaign member, then a form conversion, the original source, a marketing-event participation.
-#}

with touches as (

    select * from {{ ref('int_touchpoints') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by person_id, campaign_id, touched_at
            order by
                case touch_type
                    when 'campaign_member' then 1
                    when 'form_conversion' then 2
                    when 'original_source' then 3
                    else 4
                end,
                touchpoint_id
        ) as duplicate_rank
    from touches

),

final as (

    select
        touchpoint_id,
        person_id,
        touched_at,
        campaign_id,
        channel,
        source_system,
        touch_type
    from ranked
    where duplicate_rank = 1

)

select * from final
