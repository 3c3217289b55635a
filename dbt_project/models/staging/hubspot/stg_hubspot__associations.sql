{#-
    One row per HubSpot association between two objects (contact–deal, contact–company,
    deal–company, deal–line item, engagement–contact/deal). Object types are normalised to the
    singular API name (`contacts` → `contact`).
-#}

{{ config(materialized='incremental', unique_key='association_id') }}

with source as (

    {{ incremental_raw('hubspot', 'associations') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as association_id,
        coalesce(fields->>'fromObjectId', fields->>'fromId', fields->'from'->>'id') as from_id,
        coalesce(fields->>'toObjectId', fields->>'toId', fields->'to'->>'id') as to_id,

        ---------- association
        {{ hubspot_object_type("fields->>'fromObjectType'") }} as from_object_type,
        {{ hubspot_object_type("fields->>'toObjectType'") }} as to_object_type,
        coalesce(fields->'associationTypes'->0->>'label', fields->'associationTypes'->0->>'typeId') as association_type,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
