{#-
    One row per opportunity / deal with the passthrough columns of var opportunity_passthrough_fields
    (typed; none configured: opportunity_id alone): Salesforce fields of the Opportunity record, HubSpot
    properties of the deal (latest version).
-#}

with stg_salesforce__opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

stg_hubspot__deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

final as (

    select
        opportunity_id
        {{ passthrough_select('opportunity', 'salesforce', 'record') }}
    from stg_salesforce__opportunities
    where not is_deleted

    union all

    select
        deal_id as opportunity_id
        {{ passthrough_select('opportunity', 'hubspot', 'record') }}
    from stg_hubspot__deals
    where not is_deleted

)

select * from final
