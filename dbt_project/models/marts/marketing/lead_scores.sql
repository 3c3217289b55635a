{#-
    Lead score per person (docs/metrics.md section 4): points of the rules in seeds/lead_scoring_rules.csv
    (points = sales-readiness % x sales-ready score). Fit points count once and do not decay;
    each behaviour event's points decay with half-life var `score_half_life_days` (0 = no decay),
    measured to the run's as-of time. first_sales_ready_at = the first event time (a behaviour
    event, or the person's creation for fit points) at which the score computed as of that time
    reached var `sales_ready_score`.
-#}

with dim_people as (

    select * from {{ ref('dim_people') }}

),

matches as (

    select * from {{ ref('int_lead_scoring__rule_matches') }}

),

people as (

    select person_id, created_at from dim_people

),

fit_points as (

    select person_id, rule_id, sum(points) as points
    from matches
    where kind = 'fit'
    group by person_id, rule_id

),

behavior_points as (

    select
        person_id,
        rule_id,
        sum(points * {{ lead_score_decay('occurred_at', as_of()) }}) as points,
        max(occurred_at) as last_occurred_at
    from matches
    where kind = 'behavior'
    group by person_id, rule_id

),

rule_points as (

    select person_id, rule_id, points from fit_points
    union all
    select person_id, rule_id, points from behavior_points

),

top_rules as (

    select distinct on (person_id) person_id, rule_id as top_rule_id
    from rule_points
    where points > 0
    order by person_id, points desc, rule_id

),

person_fit as (

    select person_id, sum(points) as fit_score
    from fit_points
    group by person_id

),

person_behavior as (

    select person_id, sum(points) as behavior_score, max(last_occurred_at) as last_behavior_at
    from behavior_points
    group by person_id

),

behavior_events as (

    select person_id, occurred_at, points
    from matches
    where kind = 'behavior'

),

could_reach_threshold as (

    -- decay never raises points, so a person whose fit score plus every positive behaviour point
    -- stays below the threshold never reached it: most people, whose score history is not replayed
    select people.person_id
    from people
    left join person_fit on person_fit.person_id = people.person_id
    left join (
        select person_id, sum(greatest(points, 0)) as points
        from behavior_events
        group by person_id
    ) as positive_behavior on positive_behavior.person_id = people.person_id
    where coalesce(person_fit.fit_score, 0) + coalesce(positive_behavior.points, 0)
        >= {{ var('sales_ready_score') }}

),

candidate_times as (

    -- the score only jumps at events, so it first reaches the threshold at one of them
    select distinct person_id, occurred_at as scored_at
    from behavior_events
    where person_id in (select person_id from could_reach_threshold)
    union
    select person_id, created_at
    from people
    where created_at is not null
        and person_id in (select person_id from could_reach_threshold)

),

scores_over_time as (

    select
        candidate_times.person_id,
        candidate_times.scored_at,
        coalesce(max(person_fit.fit_score), 0) + coalesce(sum(
            earlier.points * {{ lead_score_decay('earlier.occurred_at', 'candidate_times.scored_at') }}
        ), 0) as score_then
    from candidate_times
    left join behavior_events as earlier
        on earlier.person_id = candidate_times.person_id
        and earlier.occurred_at <= candidate_times.scored_at
    left join person_fit
        on person_fit.person_id = candidate_times.person_id
    group by candidate_times.person_id, candidate_times.scored_at

),

first_sales_ready as (

    select person_id, min(scored_at) as first_sales_ready_at
    from scores_over_time
    where score_then >= {{ var('sales_ready_score') }}
    group by person_id

),

scored as (

    select
        people.person_id,
        coalesce(person_fit.fit_score, 0)::double precision as fit_score,
        coalesce(person_behavior.behavior_score, 0)::double precision as behavior_score,
        person_behavior.last_behavior_at,
        first_sales_ready.first_sales_ready_at,
        top_rules.top_rule_id
    from people
    left join person_fit on person_fit.person_id = people.person_id
    left join person_behavior on person_behavior.person_id = people.person_id
    left join first_sales_ready on first_sales_ready.person_id = people.person_id
    left join top_rules on top_rules.person_id = people.person_id

),

final as (

    select
        person_id,
        fit_score,
        behavior_score,
        fit_score + behavior_score as score,
        least((fit_score + behavior_score) / {{ var('sales_ready_score') }}::double precision, 1.0)
            as sales_ready_pct,
        fit_score + behavior_score >= {{ var('sales_ready_score') }} as is_sales_ready,
        first_sales_ready_at,
        top_rule_id,
        last_behavior_at,
        last_behavior_at is null
            or last_behavior_at < {{ as_of() }} - {{ var('cold_after_days') }} * interval '86400 seconds'
            as is_cold
    from scored

)

select * from final
