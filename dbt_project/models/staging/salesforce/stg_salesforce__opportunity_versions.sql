{#-
    Every extracted version of every opportunity (not only the latest), typed: what the history marts
    (pipeline_snapshots, pipeline_waterfall, forecast_accuracy) rebuild the past from. A version is
    valid from its `source_updated_at` until the next version of the same id.
-#}

with source as (

    select * from {{ source_or_empty('salesforce', 'opportunity') }}

),

final as (

    select
        ---------- ids
        id as opportunity_id,

        ---------- deal, as this version shows it
        nullif(record->>'OwnerId', '') as owner_id,
        record->>'StageName' as stage_name,
        {{ to_num("record->>'Amount'") }} as amount,
        {{ to_num("record->>'Probability'") }} as probability_pct,
        {{ to_date("record->>'CloseDate'") }} as close_date,
        coalesce((record->>'IsClosed')::boolean, false) as is_closed,
        coalesce((record->>'IsWon')::boolean, false) as is_won,
        record->>'CurrencyIsoCode' as currency,
        {{ to_ts("record->>'CreatedDate'") }} as created_at,

        ---------- version
        source_updated_at,
        is_deleted,
        _extracted_at

    from source

)

select * from final
