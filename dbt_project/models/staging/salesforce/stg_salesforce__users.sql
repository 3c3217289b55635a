{{ config(materialized='incremental', unique_key='user_id') }}

with source as (

    {{ incremental_raw('salesforce', 'user') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as user_id,

        ---------- foreign keys
        nullif(fields->>'UserRoleId', '') as user_role_id,
        nullif(fields->>'ManagerId', '') as manager_id,

        ---------- user
        fields->>'Name' as user_name,
        fields->>'Username' as username,
        fields->>'Email' as email,
        fields->>'Title' as title,
        coalesce((fields->>'IsActive')::boolean, false) as is_active,
        fields->>'Department' as department,
        fields->>'Region__c' as region,

        ---------- timestamps
        {{ to_ts("fields->>'CreatedDate'") }} as created_at,
        {{ to_ts("fields->>'LastModifiedDate'") }} as last_modified_at,
        {{ to_ts("fields->>'SystemModstamp'") }} as system_modstamp,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from final
