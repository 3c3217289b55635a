{#-
    Every marketing touch of a person (docs/metrics.md §3), before de-duplication:
      * Salesforce CampaignMember with HasResponded (all members when var count_non_responders),
        at FirstRespondedDate (00:00 UTC), else CreatedDate;
      * HubSpot form conversions: every value of recent_conversion_event_name in the contact's
        property history (plus first/recent conversion properties when history is absent), the value
        naming the campaign by Campaign.Name; a merged-away contact's stored conversions count for the
        surviving contact;
      * HubSpot original source: at createdate, campaign = hs_analytics_source_data_2 (by name);
        only when hs_analytics_source is set (a contact without a source has no such touch);
      * HubSpot marketing-event participations (every attendance state: registering is already a
        hand-raise), campaign = the participation's own externalEventId, else its event's campaign
        (int_marketing_event_campaigns: by externalEventId, by name, else the event's own); a
        participation naming a merged-away contact counts for the surviving contact.
    Channel (docs/metrics.md §3): a touch that belongs to a campaign takes the campaign's channel; a
    HubSpot touch without one (a form that names no campaign, an original source without
    hs_analytics_source_data_2) takes its contact's hs_analytics_source through the seed
    (`other` for a source the seed does not list); 'unknown' when neither is known.
-#}

with int_person_records as (

    select * from {{ ref('int_person_records') }}

),

stg_salesforce__campaign_members as (

    select * from {{ ref('stg_salesforce__campaign_members') }}

),

stg_hubspot__marketing_event_participations as (

    select * from {{ ref('stg_hubspot__marketing_event_participations') }}

),

channel_mapping as (

    select * from {{ ref('channel_mapping') }}

),

int_hubspot_contact_conversions as (

    select * from {{ ref('int_hubspot_contact_conversions') }}

),

campaigns as (

    select * from {{ ref('int_campaigns') }}

),

hs_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

event_campaigns as (

    select * from {{ ref('int_marketing_event_campaigns') }}

),

int_hubspot_contact_merges as (

    select * from {{ ref('int_hubspot_contact_merges') }}

),

person_records as (

    select person_id, source_system, record_type, source_id from int_person_records

),

campaigns_by_name as (

    select distinct on (name) name, campaign_id
    from campaigns
    where source_system = 'salesforce'
    order by name, campaign_id

),

campaign_members as (

    select * from stg_salesforce__campaign_members
    where not is_deleted
        {% if not var('count_non_responders') %}and has_responded{% endif %}

),

participations as (

    select
        *,
        -- the touch is named by the breakdown id while it is unique (as it always was), else by the
        -- participation key (event, contact, state, time), so an ambiguous breakdown id never merges touches
        case
            when breakdown_id is not null and count(*) over (partition by breakdown_id) = 1 then breakdown_id
            else participation_id
        end as touch_key
    from stg_hubspot__marketing_event_participations
    where not is_deleted

),

source_channels as (

    select * from channel_mapping
    where source_system = 'hubspot' and source_field = 'hs_analytics_source'

),

hs_people as (

    -- the columns used, not the contacts' records: this CTE is read three times and materialised
    select
        person_records.person_id,
        hs_contacts.contact_id,
        hs_contacts.created_at,
        hs_contacts.object_created_at,
        hs_contacts.analytics_source,
        hs_contacts.analytics_source_data_2
    from person_records
    inner join hs_contacts
        on person_records.source_system = 'hubspot'
        and person_records.source_id = hs_contacts.contact_id

),

sf_touches as (

    select
        'sf_cm:' || campaign_members.campaign_member_id as touchpoint_id,
        person_records.person_id,
        coalesce(
            (campaign_members.first_responded_date::text || 'T00:00:00Z')::timestamptz,
            campaign_members.created_at
        ) as touched_at,
        campaign_members.campaign_id,
        'salesforce' as source_system,
        'campaign_member' as touch_type,
        null::text as analytics_source
    from campaign_members
    inner join person_records
        on person_records.source_system = 'salesforce'
        and person_records.source_id = coalesce(campaign_members.contact_id, campaign_members.lead_id)
        and person_records.record_type = case when campaign_members.contact_id is not null then 'contact' else 'lead' end

),

form_history as (

    select
        hs_people.person_id,
        conversions.contact_id,
        conversions.campaign_name,
        conversions.converted_at as touched_at,
        hs_people.analytics_source
    from int_hubspot_contact_conversions as conversions
    -- a conversion stored on a contact before it was merged away counts for the survivor (whose history
    -- usually holds it too after the merge: fct_touchpoints keeps one touch per person, campaign and time)
    left join int_hubspot_contact_merges as merges on conversions.contact_id = merges.merged_contact_id
    inner join hs_people on coalesce(merges.surviving_contact_id, conversions.contact_id) = hs_people.contact_id

),

form_touches as (

    select
        'hs_form:' || form_history.contact_id || ':'
            || (extract(epoch from form_history.touched_at) * 1000)::bigint::text as touchpoint_id,
        form_history.person_id,
        form_history.touched_at,
        campaigns_by_name.campaign_id,
        'hubspot' as source_system,
        'form_conversion' as touch_type,
        form_history.analytics_source
    from form_history
    left join campaigns_by_name on form_history.campaign_name = campaigns_by_name.name
    where form_history.touched_at is not null

),

source_touches as (

    select
        'hs_src:' || hs_people.contact_id as touchpoint_id,
        hs_people.person_id,
        coalesce(hs_people.created_at, hs_people.object_created_at) as touched_at,
        campaigns_by_name.campaign_id,
        'hubspot' as source_system,
        'original_source' as touch_type,
        hs_people.analytics_source
    from hs_people
    left join campaigns_by_name on hs_people.analytics_source_data_2 = campaigns_by_name.name
    -- only when the contact has a source: a contact with none has no original-source touch
    where nullif(trim(hs_people.analytics_source), '') is not null

),

event_touches as (

    select
        'hs_mep:' || participations.touch_key as touchpoint_id,
        hs_people.person_id,
        coalesce(participations.occurred_at, participations.created_at) as touched_at,
        coalesce(
            campaigns.campaign_id,
            event_campaigns.campaign_id,
            'hs_event:' || participations.marketing_event_id
        ) as campaign_id,
        'hubspot' as source_system,
        'marketing_event' as touch_type,
        hs_people.analytics_source
    from participations
    -- a participation stored before its contact was merged away counts for the survivor
    left join int_hubspot_contact_merges as merges on participations.contact_id = merges.merged_contact_id
    inner join hs_people on coalesce(merges.surviving_contact_id, participations.contact_id) = hs_people.contact_id
    left join event_campaigns
        on participations.marketing_event_id in (event_campaigns.marketing_event_id, event_campaigns.object_id)
    -- a participation that names a Salesforce campaign itself is a touch on it, whatever its event
    left join campaigns
        on campaigns.source_system = 'salesforce'
        and participations.external_event_id = campaigns.campaign_id

),

all_touches as (

    select * from sf_touches
    union all
    select * from form_touches
    union all
    select * from source_touches
    union all
    select * from event_touches

),

final as (

    select
        all_touches.touchpoint_id,
        all_touches.person_id,
        all_touches.touched_at,
        all_touches.campaign_id,
        case
            when campaigns.campaign_id is not null then campaigns.channel
            when nullif(trim(all_touches.analytics_source), '') is not null
                then coalesce(source_channels.channel, 'other')
            else 'unknown'
        end as channel,
        all_touches.source_system,
        all_touches.touch_type
    from all_touches
    left join campaigns on all_touches.campaign_id = campaigns.campaign_id
    left join source_channels on all_touches.analytics_source = source_channels.source_value
    where all_touches.touched_at is not null
        {# a touch on a campaign that no longer exists (deleted) is dropped #}
        and (all_touches.campaign_id is null or campaigns.campaign_id is not null)

)

select * from final
