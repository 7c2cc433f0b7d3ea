{#- Yearbook indicators (long) -> one column per indicator, for the rows of cities (provinces=false: on
    the boundary vintage's units, int_yearbook_indicators_harmonised) or of provinces (provinces=true). The column list is
    yearbook_indicator_columns(); stg_yearbook__indicators maps the Chinese names onto it. -#}
{% macro yearbook_pivot(provinces) %}
with

indicators as (
    {%- if provinces %}
    select * from {{ ref('stg_yearbook__indicators') }}
    where is_province
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
)

select * from pivoted
{% endmacro %}

{% macro yearbook_indicator_columns() %}
{{ return(["gdp_10k_yuan", "gdp_primary_10k_yuan", "gdp_secondary_10k_yuan", "gdp_tertiary_10k_yuan",
           "industry_va_10k_yuan", "fixed_asset_investment_10k_yuan", "retail_sales_10k_yuan", "trade_10k_yuan",
           "fdi_10k_usd", "pop_hukou_10k", "pop_resident_10k", "pop_urban_10k", "employed_10k",
           "mining_employed_10k", "college_students_10k", "land_area_km2", "budget_revenue_10k_yuan",
           "budget_expenditure_10k_yuan", "education_expenditure_10k_yuan", "science_expenditure_10k_yuan",
           "government_investment_10k_yuan", "deposits_10k_yuan", "loans_10k_yuan", "digital_finance_index",
           "industrial_so2_t", "industrial_wastewater_t", "industrial_dust_t", "industrial_nox_t",
           "pollution_control_investment_10k_yuan", "energy_10k_tce", "electricity_10k_kwh",
           "broadband_users_10k"]) }}
{% endmacro %}
