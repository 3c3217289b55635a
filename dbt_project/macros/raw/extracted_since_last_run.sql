{% macro extracted_since_last_run(of_rows='true') -%}
    {#-
        In an incremental run, true for rows extracted after the newest extraction this model has
        already processed (less var incremental_lookback_hours); in a full build, true. The model
        keeps its inputs' `_extracted_at`; `of_rows` restricts the watermark to the model's rows
        from one input when it reads several.
    -#}
    {%- if is_incremental() -%}
    _extracted_at > (
        select coalesce(max(_extracted_at), '-infinity'::timestamptz) from {{ this }} where {{ of_rows }}
    ) - interval '{{ var("incremental_lookback_hours") }} hours'
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
