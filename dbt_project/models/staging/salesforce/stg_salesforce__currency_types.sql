{#-
    One row per CurrencyType of a multi-currency org (empty when the org has none: the extractor
    skips the object when describe says it does not exist). ConversionRate is units of this
    currency per one unit of the corporate currency (Salesforce's convention).
-#}

with source as (

    select * from {{ source_or_empty('salesforce', 'currency_type') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as currency_type_id,
        upper(fields->>'IsoCode') as currency,

        ---------- rate
        {{ to_num("fields->>'ConversionRate'") }} as conversion_rate,
        coalesce((fields->>'IsCorporate')::boolean, false) as is_corporate,
        coalesce((fields->>'IsActive')::boolean, true) as is_active,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id

    from latest

)

select * from final
