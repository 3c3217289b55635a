{#-
    Rates into the corporate currency (var corporate_currency): `corporate_per_unit` units of the
    corporate currency per unit of `currency`, valid on dates [valid_from, valid_to) (null bounds:
    open). rate_kind 'dated' = Salesforce DatedConversionRate (an opportunity and its line items
    convert at the rate in force on its close date); 'current' = the CurrencyType rate, else the
    var exchange_rates (everything else, and any currency without a dated rate on that date).
    Salesforce rates are units of the currency per unit of the org's corporate currency; they are
    rebased on the var's corporate currency, so an org whose own corporate currency differs still
    converts correctly (dated rates rebase with the corporate currency's current rate).
-#}

with stg_salesforce__currency_types as (

    select * from {{ ref('stg_salesforce__currency_types') }}

),

stg_salesforce__dated_conversion_rates as (

    select * from {{ ref('stg_salesforce__dated_conversion_rates') }}

),

currency_types as (

    select currency, conversion_rate
    from stg_salesforce__currency_types
    where not is_deleted and conversion_rate > 0

),

corporate_base as (

    {#- the var's corporate currency in the org's units (1 when the org's corporate currency is it) -#}
    select coalesce(max(conversion_rate), 1) as conversion_rate
    from currency_types
    where currency = upper('{{ var("corporate_currency") }}')

),

corporate as (

    select upper('{{ var("corporate_currency") }}') as currency, 'current' as rate_kind,
        null::date as valid_from, null::date as valid_to, 1::numeric as corporate_per_unit

),

sf_current as (

    select
        currency_types.currency,
        'current' as rate_kind,
        null::date as valid_from,
        null::date as valid_to,
        corporate_base.conversion_rate / currency_types.conversion_rate as corporate_per_unit
    from currency_types
    cross join corporate_base
    where currency_types.currency <> upper('{{ var("corporate_currency") }}')

),

sf_dated as (

    select
        dated.currency,
        'dated' as rate_kind,
        dated.start_date as valid_from,
        dated.next_start_date as valid_to,
        corporate_base.conversion_rate / dated.conversion_rate as corporate_per_unit
    from stg_salesforce__dated_conversion_rates as dated
    cross join corporate_base
    where not dated.is_deleted
        and dated.conversion_rate > 0
        and dated.currency <> upper('{{ var("corporate_currency") }}')

),

var_rates as (

    {#- var exchange_rates: {EUR: 1.08, ...}, used for currencies the org has no rate for -#}
    {%- set var_rates = var('exchange_rates') or {} %}
    select null::text as currency, null::text as rate_kind, null::date as valid_from,
        null::date as valid_to, null::numeric as corporate_per_unit
    where false
    {%- for code, rate in var_rates.items() %}
    union all
    select upper('{{ code }}'), 'current', null::date, null::date, {{ rate }}::numeric
    {%- endfor %}

),

final as (

    select * from corporate
    union all
    select * from sf_current
    union all
    select * from sf_dated
    union all
    select var_rates.* from var_rates
    where var_rates.currency <> upper('{{ var("corporate_currency") }}')
        and var_rates.currency not in (select currency from sf_current)

)

select * from final
