{#-
    Every extracted version of every lead (not only the latest): the fallback source of Lead.Status
    change times when LeadHistory is missing ("the first extracted version that shows it").
-#}

with source as (

    select * from {{ source_or_empty('salesforce', 'lead') }}

),

final as (

    select
        ---------- ids
        id as lead_id,

        ---------- version
        source_updated_at,
        record->>'Status' as status,
        is_deleted,
        _extracted_at

    from source

)

select * from final
