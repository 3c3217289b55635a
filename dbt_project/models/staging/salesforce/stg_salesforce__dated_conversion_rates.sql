{#-
    One row per DatedConversionRate (advanced currency management): the rate of a currency in
    force from StartDate (inclusive) to NextStartDate (exclusive), units of the currency per unit
    of the corporate currency. Empty when the org has no dated rates.
-#}

with source as (

    select * from {{ source_or_empty('salesforce', 'dated_conversion_rate') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as dated_conversion_rate_id,
        upper(fields->>'IsoCode') as currency,

        ---------- rate
        {{ to_num("fields->>'ConversionRate'") }} as conversion_rate,
        {{ to_date("fields->>'StartDate'") }} as start_date,
        {{ to_date("fields->>'NextStartDate'") }} as next_start_date,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id

    from latest

)

select * from final
