{#-
    How lead scores convert: people per score band (bands of 25 points up to 100+) and the share of
    them who reached the opportunity stage.
-#}

with lead_scores as (

    select * from {{ ref('lead_scores') }}

),

dim_people as (

    select * from {{ ref('dim_people') }}

),

bands as (

    select band_order, score_band, min_score, max_score
    from (
        values
            (1, '0–24', null::double precision, 25.0::double precision),
            (2, '25–49', 25.0, 50.0),
            (3, '50–74', 50.0, 75.0),
            (4, '75–99', 75.0, 100.0),
            (5, '100+', 100.0, null)
    ) as b (band_order, score_band, min_score, max_score)

),

scored_people as (

    select
        lead_scores.person_id,
        lead_scores.score,
        people.opportunity_at is not null as reached_opportunity
    from lead_scores as lead_scores
    inner join dim_people as people
        on people.person_id = lead_scores.person_id

),

banded as (

    select
        bands.band_order,
        bands.score_band,
        count(scored_people.person_id) as people,
        count(scored_people.person_id) filter (where scored_people.reached_opportunity)
            as reached_opportunity,
        avg(scored_people.score) as avg_score
    from bands
    left join scored_people
        on (bands.min_score is null or scored_people.score >= bands.min_score)
        and (bands.max_score is null or scored_people.score < bands.max_score)
    group by bands.band_order, bands.score_band

),

final as (

    select
        score_band,
        people,
        reached_opportunity,
        reached_opportunity::double precision / nullif(people, 0) as opportunity_rate,
        band_order,
        avg_score
    from banded

)

select * from final
