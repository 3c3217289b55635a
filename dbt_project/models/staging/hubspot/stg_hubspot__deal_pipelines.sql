{#- One row per HubSpot deal pipeline × stage (pipelines are stored one record per pipeline). -#}

with source as (

    select * from {{ source_or_empty('hubspot', 'deal_pipelines') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        latest.id as pipeline_id,
        stage->>'id' as stage_id,

        ---------- pipeline
        latest.fields->>'label' as pipeline_label,
        {{ to_num("latest.fields->>'displayOrder'") }}::integer as pipeline_display_order,

        ---------- stage
        stage->>'label' as stage_label,
        {{ to_num("stage->>'displayOrder'") }}::integer as stage_display_order,
        coalesce({{ to_bool("stage->'metadata'->>'isClosed'") }}, false) as is_closed,
        {{ to_num("stage->'metadata'->>'probability'") }} as probability,

        ---------- metadata
        latest.is_deleted,
        latest.source_updated_at,
        latest._extracted_at,
        latest._batch_id,
        stage as record

    from latest
    cross join lateral jsonb_array_elements(coalesce(latest.fields->'stages', '[]'::jsonb)) as stage

)

select * from final
