{#-
    One row per campaign (Salesforce campaigns, the catalogue of both CRMs, plus HubSpot marketing
    events that name no Salesforce campaign). `members` = distinct people who are campaign members
    (Salesforce CampaignMember of any status, not deleted) or who touched the campaign (form
    conversions and event participations make a HubSpot person a member); `responses` = distinct
    people with a touch on the campaign, so response_rate = responses / members stays within [0, 1];
    `touches` = all touches on the campaign in fct_touchpoints.
-#}

with int_person_records as (

    select * from {{ ref('int_person_records') }}

),

stg_salesforce__campaign_members as (

    select * from {{ ref('stg_salesforce__campaign_members') }}

),

fct_touchpoints as not materialized (

    select * from {{ ref('fct_touchpoints') }}

),

campaigns as (

    select * from {{ ref('int_campaigns') }}

),

person_records as (

    select person_id, source_system, record_type, source_id from int_person_records

),

salesforce_member_people as (

    select campaign_members.campaign_id, person_records.person_id
    from stg_salesforce__campaign_members as campaign_members
    inner join person_records
        on person_records.source_system = 'salesforce'
        and person_records.source_id = coalesce(campaign_members.contact_id, campaign_members.lead_id)
        and person_records.record_type
            = case when campaign_members.contact_id is not null then 'contact' else 'lead' end
    where not campaign_members.is_deleted

),

member_people as (

    select campaign_id, person_id from salesforce_member_people
    union
    select campaign_id, person_id from fct_touchpoints
    where campaign_id is not null

),

campaign_members as (

    select campaign_id, count(*) as members
    from member_people
    group by campaign_id

),

touches as (

    select
        campaign_id,
        count(*) as touches,
        count(distinct person_id) as responding_people
    from fct_touchpoints
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
        coalesce(touches.responding_people, 0) as responses,
        coalesce(touches.responding_people, 0) as responding_people,
        coalesce(touches.touches, 0) as touches,
        campaigns.created_at
    from campaigns
    left join campaign_members on campaigns.campaign_id = campaign_members.campaign_id
    left join touches on campaigns.campaign_id = touches.campaign_id

)

select * from final
