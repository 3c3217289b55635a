{#-
    One row per campaign (Salesforce campaigns, the catalogue of both CRMs, plus HubSpot marketing
    events that name no Salesforce campaign). `members` = people who are campaign members or event
    participants; `responses` = touches on the campaign in fct_touchpoints.
-#}

with campaigns as (

    select * from {{ ref('int_campaigns') }}

),

campaign_members as (

    select campaign_id, count(*) as members
    from {{ ref('stg_salesforce__campaign_members') }}
    where not is_deleted
    group by campaign_id

),

touches as (

    select
        campaign_id,
        count(*) as responses,
        count(distinct person_id) as responding_people
    from {{ ref('fct_touchpoints') }}
    where campaign_id is not null
    group by campaign_id

),

final as (

    select
        campaigns.campaign_id,
        campaigns.name,
        campaigns.channel,
        campaigns.source_system,
        campaigns.source_id,
        campaigns.campaign_type,
        campaigns.status,
        campaigns.start_date,
        campaigns.end_date,
        campaigns.budgeted_cost,
        campaigns.actual_cost,
        campaigns.cost,
        coalesce(campaign_members.members, 0) as members,
        coalesce(touches.responses, 0) as responses,
        coalesce(touches.responding_people, 0) as responding_people,
        campaigns.created_at
    from campaigns
    left join campaign_members on campaigns.campaign_id = campaign_members.campaign_id
    left join touches on campaigns.campaign_id = touches.campaign_id

)

select * from final
