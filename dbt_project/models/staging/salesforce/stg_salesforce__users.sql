{{ config(materialized='incremental', unique_key='user_id') }}

with source as (

    {{ incremental_raw('salesforce', 'user') }}

),

latest as (

    {{ latest_version('source') }}

),

renamed as (

    select
        ---------- ids
        id as user_id,

        ---------- foreign keys
        nullif(record->>'UserRoleId', '') as user_role_id,
        nullif(record->>'ManagerId', '') as manager_id,

        ---------- user
        record->>'Name' as user_name,
        record->>'Username' as username,
        record->>'Email' as email,
        record->>'Title' as title,
        coalesce((record->>'IsActive')::boolean, false) as is_active,
        record->>'Department' as department,
        record->>'Region__c' as region,

        ---------- timestamps
        {{ to_ts("record->>'CreatedDate'") }} as created_at,
        {{ to_ts("record->>'LastModifiedDate'") }} as last_modified_at,
        {{ to_ts("record->>'SystemModstamp'") }} as system_modstamp,

        ---------- metadata
        is_deleted,
        source_updated_at,
        _extracted_at,
        _batch_id,
        record

    from latest

)

select * from renamed
