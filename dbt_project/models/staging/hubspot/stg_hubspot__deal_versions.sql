{#-
    Every extracted version of every deal (not only the latest), typed: what the history marts
    (pipeline_snapshots, pipeline_waterfall, forecast_accuracy) rebuild the past from. A version is
    valid from its `source_updated_at` until the next version of the same id. `dealstage_history` is
    the version's `dealstage` property history (HubSpot's propertiesWithHistory).
-#}

with source as (

    select * from {{ source_or_empty('hubspot', 'deals') }}

),

final as (

    select
        ---------- ids
        id as deal_id,

        ---------- deal, as this version shows it
        nullif(record->'properties'->>'hubspot_owner_id', '') as owner_id,
        nullif(record->'properties'->>'pipeline', '') as pipeline_id,
        nullif(record->'properties'->>'dealstage', '') as deal_stage_id,
        {{ to_num("record->'properties'->>'amount'") }} as amount,
        {{ to_num("record->'properties'->>'amount_in_home_currency'") }} as amount_in_home_currency,
        {{ to_num("record->'properties'->>'hs_deal_stage_probability'") }} as probability,
        {{ to_date("record->'properties'->>'closedate'") }} as close_date,
        {{ to_bool("record->'properties'->>'hs_is_closed'") }} as is_closed,
        {{ to_bool("record->'properties'->>'hs_is_closed_won'") }} as is_closed_won,
        record->'properties'->>'deal_currency_code' as currency,
        coalesce({{ to_ts("record->'properties'->>'createdate'") }}, {{ to_ts("record->>'createdAt'") }}) as created_at,
        coalesce(record->'propertiesWithHistory'->'dealstage', '[]'::jsonb) as dealstage_history,

        ---------- version
        source_updated_at,
        is_deleted,
        _extracted_at

    from source

)

select * from final
