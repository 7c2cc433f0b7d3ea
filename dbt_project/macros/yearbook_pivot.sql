{#- Yearbook indicators (long) -> one column per indicator, for the rows of cities (provinces=false: on
    the boundary vintage's units, int_yearbook_indicators_harmonised) or of provinces (provinces=true,
    stg_yearbook__indicators). The columns are the indicators of seed_yearbook_indicators
    (yearbook_indicator_columns()), so an indicator is added in the seed alone. -#}
{% macro yearbook_pivot(provinces) %}
with

indicators as (
    {%- if provinces %}
    select * from {{ ref('stg_yearbook__indicators') }}
    where is_province and scope = '{{ var("yearbook_scope") }}'
    {%- else %}
    select * from {{ ref('int_yearbook_indicators_harmonised') }}
    {%- endif %}
),

pivoted as (
    select
        adcode,
        year,
        {% for column in yearbook_indicator_columns() %}
        max(case when indicator = '{{ column }}' then value end) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from indicators
    group by adcode, year
),

final as (
    select * from pivoted
)

select * from final
{% endmacro %}

{#- The canonical indicators of seed_yearbook_indicators, read from the built seed when the model runs
    (dbt builds the seed first: stg_yearbook__indicators refs it). At parse time there is no data: the
    list is empty and only the refs matter. -#}
{% macro yearbook_indicator_columns() %}
{%- set seed = ref('seed_yearbook_indicators') -%}  {#- at parse time too: the calling model depends on it -#}
{%- if not execute -%}
{{ return([]) }}
{%- endif -%}
{%- set query -%}
select distinct indicator from {{ seed }} order by indicator
{%- endset -%}
{%- set columns = run_query(query).columns[0].values() -%}
{%- if columns | length == 0 -%}
{{ exceptions.raise_compiler_error("seed_yearbook_indicators has no indicators: dbt seed first") }}
{%- endif -%}
{{ return(columns | list) }}
{% endmacro %}
