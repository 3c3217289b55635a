{% macro hubspot_object_type(expr) -%}
    case regexp_replace(lower({{ expr }}), '^0-', '')
        when 'contacts' then 'contact' when '1' then 'contact'
        when 'companies' then 'company' when '2' then 'company'
        when 'deals' then 'deal' when '3' then 'deal'
        when 'line_items' then 'line_item' when '8' then 'line_item'
        when 'calls' then 'call' when '48' then 'call'
        when 'emails' then 'email' when '49' then 'email'
        when 'meetings' then 'meeting' when '47' then 'meeting'
        else regexp_replace(lower({{ expr }}), 's$', '')
    end
{%- endmacro %}
