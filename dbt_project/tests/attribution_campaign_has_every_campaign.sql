{#-
    attribution_campaign has a row for every campaign under every model of the seed, credited or not,
    so a campaign that cost money and sourced nothing shows roi -1 instead of vanishing. Returns the
    (model, campaign) pairs that have no row.
-#}

with expected as (

    select models.model, campaigns.campaign_id
    from {{ ref('attribution_model_weights') }} as models
    cross join {{ ref('dim_campaigns') }} as campaigns

),

missing as (

    select expected.model, expected.campaign_id
    from expected
    left join {{ ref('attribution_campaign') }} as attributed
        on attributed.model = expected.model
        and attributed.campaign_id = expected.campaign_id
    where attributed.model is null

)

select * from missing
