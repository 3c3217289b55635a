{#-
    One row per line item of an opportunity: Salesforce OpportunityLineItem (family from Product2)
    and HubSpot line items associated with a deal. `line_amount` = total price (quantity × unit
    price when the total is missing).
-#}

with stg_salesforce__opportunity_line_items as (

    select * from {{ ref('stg_salesforce__opportunity_line_items') }}

),

stg_hubspot__line_items as (

    select * from {{ ref('stg_hubspot__line_items') }}

),

int_hubspot_associations as (

    select * from {{ ref('int_hubspot_associations') }}

),

sf_products as (

    select * from {{ ref('stg_salesforce__products') }}

),

sf_items as (

    select * from stg_salesforce__opportunity_line_items
    where not is_deleted

),

hs_items as (

    select * from stg_hubspot__line_items
    where not is_deleted

),

hs_item_deals as (

    select distinct on (from_id) from_id as line_item_id, to_id as deal_id
    from int_hubspot_associations
    where from_object_type = 'line_item' and to_object_type = 'deal'
    order by from_id, to_id

),

final as (

    select
        sf_items.opportunity_line_item_id as line_item_id,
        'salesforce' as source_system,
        sf_items.opportunity_id,
        sf_items.product_id,
        coalesce(sf_products.product_name, sf_items.line_name) as product_name,
        sf_products.product_family,
        sf_items.quantity,
        sf_items.unit_price,
        coalesce(sf_items.total_price, sf_items.quantity * sf_items.unit_price) as line_amount
    from sf_items
    left join sf_products on sf_items.product_id = sf_products.product_id

    union all

    select
        hs_items.line_item_id,
        'hubspot' as source_system,
        coalesce(hs_item_deals.deal_id, hs_items.record->'properties'->>'hs_deal_id') as opportunity_id,
        hs_items.product_id,
        hs_items.line_name as product_name,
        hs_items.product_family,
        hs_items.quantity,
        hs_items.unit_price,
        coalesce(hs_items.amount, hs_items.quantity * hs_items.unit_price) as line_amount
    from hs_items
    left join hs_item_deals on hs_items.line_item_id = hs_item_deals.line_item_id

)

select * from final
