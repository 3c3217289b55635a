{{ config(materialized='incremental', unique_key='user_role_id') }}

with source as (

    {{ incremental_raw('salesforce', 'user_role') }}

),

latest as (

    {{ latest_version('source') }}

),

final as (

    select
        ---------- ids
        id as user_role_id,

        ---------- foreign keys
        nullif(fields->>'ParentRoleId', '') as parent_role_id,

        ---------- role
        fields->>'Name' as role_name,
        fields->>'DeveloperName' as developer_name,
        fields->>'RollupDescription' as rollup_description,

        ---------- timestamps
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
