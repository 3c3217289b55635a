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
        case regexp_replace(lower(fields->>'fromObjectType'), '^0-', '')
            when 'contacts' then 'contact' when '1' then 'contact'
            when 'companies' then 'company' when '2' then 'company'
            when 'deals' then 'deal' when '3' then 'deal'
            when 'line_items' then 'line_item' when '8' then 'line_item'
            when 'calls' then 'call' when '48' then 'call'
            when 'emails' then 'email' when '49' then 'email'
            when 'meetings' then 'meeting' when '47' then 'meeting'
            else regexp_replace(lower(fields->>'fromObjectType'), 's$', '')
        end as from_object_type,
        case regexp_replace(lower(fields->>'toObjectType'), '^0-', '')
            when 'contacts' then 'contact' when '1' then 'contact'
            when 'companies' then 'company' when '2' then 'company'
            when 'deals' then 'deal' when '3' then 'deal'
            when 'line_items' then 'line_item' when '8' then 'line_item'
            when 'calls' then 'call' when '48' then 'call'
            when 'emails' then 'email' when '49' then 'email'
            when 'meetings' then 'meeting' when '47' then 'meeting'
            else regexp_replace(lower(fields->>'toObjectType'), 's$', '')
        end as to_object_type,
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
