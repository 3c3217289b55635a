select source_value, stage from {{ ref('mini_stage_mapping') }}
