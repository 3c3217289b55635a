{% macro passthrough_fields(kind) -%}
    {#-
        The passthrough columns of `kind` ('people' or 'opportunity'), from var `<kind>_passthrough_fields`
        ({salesforce: [...], hubspot: [...]}, each entry {field, column, type}): one dict per column,
        {column, type, salesforce: field or none, hubspot: field or none}. A column named by both CRMs is
        one column (both must give it the same type). Bad entries fail the build naming the entry.
    -#}
    {%- set config = var(kind ~ '_passthrough_fields') or {} -%}
    {%- set types = ['text', 'numeric', 'integer', 'boolean', 'date', 'timestamptz'] -%}
    {%- set columns = [] -%}
    {%- set by_name = {} -%}
    {%- for crm in config -%}
        {%- if crm not in ['salesforce', 'hubspot'] -%}
            {{ exceptions.raise_compiler_error(kind ~ "_passthrough_fields: unknown CRM '" ~ crm ~ "' (salesforce or hubspot)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for crm in ['salesforce', 'hubspot'] -%}
        {%- for entry in (config.get(crm) or []) -%}
            {%- set field = entry.get('field') if entry is mapping else none -%}
            {%- if not field -%}
                {{ exceptions.raise_compiler_error(kind ~ "_passthrough_fields." ~ crm ~ ": entry " ~ entry ~ " names no field") }}
            {%- endif -%}
            {%- set column = (entry.get('column') or field) | lower -%}
            {%- set type = (entry.get('type') or 'text') | lower -%}
            {%- if not modules.re.match('^[a-z_][a-z0-9_]*$', column) -%}
                {{ exceptions.raise_compiler_error(kind ~ "_passthrough_fields." ~ crm ~ ": column '" ~ column ~ "' of field " ~ field ~ " is not a plain identifier") }}
            {%- endif -%}
            {%- if type not in types -%}
                {{ exceptions.raise_compiler_error(kind ~ "_passthrough_fields." ~ crm ~ ": field " ~ field ~ " has type '" ~ type ~ "'; use one of " ~ types | join(', ')) }}
            {%- endif -%}
            {%- if column in by_name -%}
                {%- set known = by_name[column] -%}
                {%- if known['type'] != type or known[crm] -%}
                    {{ exceptions.raise_compiler_error(kind ~ "_passthrough_fields: column '" ~ column ~ "' is named twice for " ~ crm ~ " or with two types") }}
                {%- endif -%}
                {%- do known.update({crm: field}) -%}
            {%- else -%}
                {%- set item = {'column': column, 'type': type, 'salesforce': none, 'hubspot': none} -%}
                {%- do item.update({crm: field}) -%}
                {%- do by_name.update({column: item}) -%}
                {%- do columns.append(item) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro passthrough_cast(expr, type) -%}
    {#- an API text value as the passthrough column's type (the project's parse macros; blanks are null) -#}
    {%- if type == 'numeric' -%}
        {{ to_num(expr) }}
    {%- elif type == 'integer' -%}
        ({{ to_num(expr) }})::integer
    {%- elif type == 'boolean' -%}
        {{ to_bool(expr) }}
    {%- elif type == 'date' -%}
        {{ to_date(expr) }}
    {%- elif type == 'timestamptz' -%}
        {{ to_ts(expr) }}
    {%- else -%}
        nullif({{ expr }}, '')
    {%- endif -%}
{%- endmacro %}


{% macro passthrough_select(kind, crm, record) -%}
    {#- `, <value> as <column>` for every passthrough column of `kind`: the CRM's field read from the raw
        `record` (HubSpot: from its properties), typed; `null::<type>` for a column only the other CRM names -#}
    {%- for c in passthrough_fields(kind) %}
        {%- if c[crm] %}
        {%- set expr = record ~ "->>'" ~ c[crm] ~ "'" if crm == 'salesforce' else record ~ "->'properties'->>'" ~ c[crm] ~ "'" %}
        , {{ passthrough_cast(expr, c['type']) }} as {{ c['column'] }}
        {%- else %}
        , null::{{ c['type'] }} as {{ c['column'] }}
        {%- endif %}
    {%- endfor %}
{%- endmacro %}


{% macro passthrough_columns(kind, relation) -%}
    {#- `, <relation>.<column>` for every passthrough column of `kind` (what a mart selects) -#}
    {%- for c in passthrough_fields(kind) %}
        , {{ relation }}.{{ c['column'] }}
    {%- endfor %}
{%- endmacro %}
