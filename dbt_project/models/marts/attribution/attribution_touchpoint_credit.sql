{{ config(pre_hook="set local work_mem = '{{ var(\"attribution_work_mem\", \"256MB\") }}'") }}

{#-
    Credit of every touch of every opportunity's journey under every attribution model
    (METRICS.md section 3). Set-based, in three steps:
    1. one sorted window pass over the journeys gives each touch its position, the journey
       length and the positions of the milestones (LC / OC / CW are "the last touch at or
       before a time", which in a journey ordered by touched_at is the count of touches up to
       that time), plus its time-decay share;
    2. per opportunity x model of the seed `attribution_model_weights` (a small set), the
       credit each milestone position and each middle touch receives: missing milestones and
       an empty middle spread over the model's present milestones;
    3. each touch x model credit is then a few comparisons: no per-model window, no loops.
-#}

with journey_touches as (

    select * from {{ ref('int_attribution__journeys') }}

),

journey_positions as (

    -- every window shares one partition and order, so the journeys are sorted once
    select
        opportunity_id,
        touchpoint_id,
        person_id,
        touched_at,
        campaign_id,
        channel,
        is_won,
        amount,
        row_number() over journey_order as touch_position,
        count(*) over whole_journey as touch_count,
        count(*) filter (where touched_at <= people_created_at) over whole_journey as lc_position,
        count(*) filter (where touched_at <= opportunity_created_at) over whole_journey as oc_position,
        count(*) filter (where is_won and touched_at <= window_end) over whole_journey as cw_position,
        max(touched_at) over whole_journey as last_touched_at
    from journey_touches
    window
        journey_order as (
            partition by opportunity_id
            order by touched_at, touchpoint_id collate "C"
        ),
        whole_journey as (journey_order rows between unbounded preceding and unbounded following)

),

journey_decay as (

    -- 2^(-d / half_life) with d measured to the journey's last touch rather than window_end:
    -- the same shares once normalised, and a journey's weights can never all underflow to 0
    select
        *,
        power(
            2.0::double precision,
            -date_part('epoch', last_touched_at - touched_at)
                / (86400.0 * {{ var('time_decay_half_life_days') }}::double precision)
        ) as decay_weight
    from journey_positions

),

touch_shares as (

    select
        opportunity_id,
        touchpoint_id,
        person_id,
        touched_at,
        campaign_id,
        channel,
        is_won,
        amount,
        touch_position,
        touch_count,
        lc_position,
        oc_position,
        cw_position,
        touch_position in (1, lc_position, oc_position, cw_position, touch_count) as holds_milestone,
        -- inside a journey (strictly after FT, before LT) only LC, OC and CW can be held
        touch_position in (lc_position, oc_position, cw_position) as holds_inner_milestone,
        concat_ws(
            ',',
            case when touch_position = 1 then 'FT' end,
            case when touch_position = lc_position then 'LC' end,
            case when touch_position = oc_position then 'OC' end,
            case when touch_position = cw_position then 'CW' end,
            case when touch_position = touch_count then 'LT' end
        ) as milestones,
        decay_weight / sum(decay_weight) over (partition by opportunity_id) as decay_share
    from journey_decay

),

journeys as (

    select opportunity_id, touch_count, lc_position, oc_position, cw_position
    from touch_shares
    where touch_position = 1

),

models as (

    select
        model,
        method = 'time_decay' as is_time_decay,
        middle_touches = 'all' as middle_is_all,
        ft_weight::double precision as ft_weight,
        lc_weight::double precision as lc_weight,
        oc_weight::double precision as oc_weight,
        cw_weight::double precision as cw_weight,
        lt_weight::double precision as lt_weight,
        middle_weight::double precision as middle_weight
    from {{ ref('attribution_model_weights') }}

),

journey_model_milestones as (

    -- which of the model's milestones (weight > 0) the journey has, and the last of them
    select
        journeys.opportunity_id,
        journeys.touch_count,
        journeys.lc_position,
        journeys.oc_position,
        journeys.cw_position,
        models.*,
        (models.lc_weight > 0 and journeys.lc_position > 0) as has_lc,
        (models.oc_weight > 0 and journeys.oc_position > 0) as has_oc,
        (models.cw_weight > 0 and journeys.cw_position > 0) as has_cw,
        coalesce(greatest(
            case when models.ft_weight > 0 then 1 end,
            case when models.lc_weight > 0 and journeys.lc_position > 0 then journeys.lc_position end,
            case when models.oc_weight > 0 and journeys.oc_position > 0 then journeys.oc_position end,
            case when models.cw_weight > 0 and journeys.cw_position > 0 then journeys.cw_position end,
            case when models.lt_weight > 0 then journeys.touch_count end
        ), 1) as middle_end
    from journeys
    cross join models
    offset 0

),

journey_model_counts as (

    select
        *,
        (ft_weight > 0)::int + has_lc::int + has_oc::int + has_cw::int + (lt_weight > 0)::int
            as present_milestones,
        case
            when middle_is_all then touch_count
            -- positions strictly between FT (1) and middle_end, less those holding LC, OC or CW
            else greatest(middle_end - 2, 0)
                - (lc_position > 1 and lc_position < middle_end)::int
                - (oc_position > 1 and oc_position < middle_end and oc_position <> lc_position)::int
                - (cw_position > 1 and cw_position < middle_end
                    and cw_position <> lc_position and cw_position <> oc_position)::int
        end as middle_count
    from journey_model_milestones
    offset 0

),

journey_model_spread as (

    -- the weight of missing milestones, and the middle weight when there is no middle touch,
    -- in equal parts to each of the model's milestones that is present
    select
        *,
        coalesce((
            case when lc_position = 0 then lc_weight else 0 end
            + case when oc_position = 0 then oc_weight else 0 end
            + case when cw_position = 0 then cw_weight else 0 end
            + case when middle_count = 0 then middle_weight else 0 end
        ) / nullif(present_milestones, 0), 0) as spread
    from journey_model_counts
    offset 0

),

journey_models as (

    -- what each milestone position and each middle touch of the journey gets under the model
    select
        opportunity_id,
        model,
        is_time_decay,
        middle_is_all,
        middle_end,
        case when ft_weight > 0 then ft_weight + spread else 0 end as ft_credit,
        case when has_lc then lc_weight + spread else 0 end as lc_credit,
        case when has_oc then oc_weight + spread else 0 end as oc_credit,
        case when has_cw then cw_weight + spread else 0 end as cw_credit,
        case when lt_weight > 0 then lt_weight + spread else 0 end as lt_credit,
        case when middle_count > 0 then middle_weight / middle_count else 0 end as middle_credit
    from journey_model_spread

),

credits as (

    select
        touch_shares.opportunity_id,
        touch_shares.touchpoint_id,
        touch_shares.campaign_id,
        touch_shares.channel,
        journey_models.model,
        case
            when journey_models.is_time_decay then touch_shares.decay_share
            -- most touches hold no milestone: they get the middle share or nothing
            when not touch_shares.holds_milestone then
                case
                    when journey_models.middle_is_all
                        or touch_shares.touch_position < journey_models.middle_end
                        then journey_models.middle_credit
                    else 0
                end
            else
                case when touch_shares.touch_position = 1 then journey_models.ft_credit else 0 end
                + case when touch_shares.touch_position = touch_shares.lc_position then journey_models.lc_credit else 0 end
                + case when touch_shares.touch_position = touch_shares.oc_position then journey_models.oc_credit else 0 end
                + case when touch_shares.touch_position = touch_shares.cw_position then journey_models.cw_credit else 0 end
                + case when touch_shares.touch_position = touch_shares.touch_count then journey_models.lt_credit else 0 end
                + case
                    when journey_models.middle_is_all then journey_models.middle_credit
                    when touch_shares.touch_position > 1
                        and touch_shares.touch_position < journey_models.middle_end
                        and not touch_shares.holds_inner_milestone
                        then journey_models.middle_credit
                    else 0
                end
        end as credit,
        touch_shares.is_won,
        touch_shares.amount::double precision as amount,
        touch_shares.person_id,
        touch_shares.touched_at,
        touch_shares.touch_position,
        touch_shares.touch_count,
        touch_shares.milestones
    from touch_shares
    inner join journey_models
        on journey_models.opportunity_id = touch_shares.opportunity_id

),

final as (

    select
        opportunity_id,
        touchpoint_id,
        campaign_id,
        channel,
        model,
        credit,
        credit * amount as attributed_pipeline,
        case when is_won then credit * amount else 0 end as attributed_revenue,
        person_id,
        touched_at,
        touch_position,
        touch_count,
        milestones
    from credits

)

select * from final
