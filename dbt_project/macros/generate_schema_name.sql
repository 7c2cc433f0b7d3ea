{#- Schemas are named as configured (staging, intermediate, marts, seeds), without dbt's
    target-schema prefix, so analysts query marts.fct_city_year in every environment. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
