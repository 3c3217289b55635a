{% test attribution_every_journey_every_model(model) %}
    {#- each opportunity with a journey has credit rows under every model of the seed -#}
    with journeys as (
        select distinct opportunity_id from {{ ref('int_attribution__journeys') }}
    ),
    models as (
        select model from {{ ref('attribution_model_weights') }}
    ),
    present as (
        select distinct opportunity_id, model from {{ model }}
    )
    select journeys.opportunity_id, models.model
    from journeys
    cross join models
    left join present
        on present.opportunity_id = journeys.opportunity_id and present.model = models.model
    where present.opportunity_id is null
{% endtest %}
