{#- Yearbook indicators of citys, one column per indicator (canonical units, see stg_yearbook__indicators). -#}
with

indicators as (
    select * from {{ ref('stg_yearbook__indicators') }}
    where not is_province
),

pivoted as (
    select
        adcode,
        year,
        max(case when indicator = 'gdp_10k_yuan' then value end) as gdp_10k_yuan,
        max(case when indicator = 'gdp_primary_10k_yuan' then value end) as gdp_primary_10k_yuan,
        max(case when indicator = 'gdp_secondary_10k_yuan' then value end) as gdp_secondary_10k_yuan,
        max(case when indicator = 'gdp_tertiary_10k_yuan' then value end) as gdp_tertiary_10k_yuan,
        max(case when indicator = 'industry_va_10k_yuan' then value end) as industry_va_10k_yuan,
        max(case when indicator = 'fixed_asset_investment_10k_yuan' then value end) as fixed_asset_investment_10k_yuan,
        max(case when indicator = 'retail_sales_10k_yuan' then value end) as retail_sales_10k_yuan,
        max(case when indicator = 'trade_10k_yuan' then value end) as trade_10k_yuan,
        max(case when indicator = 'fdi_10k_usd' then value end) as fdi_10k_usd,
        max(case when indicator = 'pop_hukou_10k' then value end) as pop_hukou_10k,
        max(case when indicator = 'pop_resident_10k' then value end) as pop_resident_10k,
        max(case when indicator = 'pop_urban_10k' then value end) as pop_urban_10k,
        max(case when indicator = 'employed_10k' then value end) as employed_10k,
        max(case when indicator = 'mining_employed_10k' then value end) as mining_employed_10k,
        max(case when indicator = 'college_students_10k' then value end) as college_students_10k,
        max(case when indicator = 'land_area_km2' then value end) as land_area_km2,
        max(case when indicator = 'budget_revenue_10k_yuan' then value end) as budget_revenue_10k_yuan,
        max(case when indicator = 'budget_expenditure_10k_yuan' then value end) as budget_expenditure_10k_yuan,
        max(case when indicator = 'education_expenditure_10k_yuan' then value end) as education_expenditure_10k_yuan,
        max(case when indicator = 'science_expenditure_10k_yuan' then value end) as science_expenditure_10k_yuan,
        max(case when indicator = 'government_investment_10k_yuan' then value end) as government_investment_10k_yuan,
        max(case when indicator = 'deposits_10k_yuan' then value end) as deposits_10k_yuan,
        max(case when indicator = 'loans_10k_yuan' then value end) as loans_10k_yuan,
        max(case when indicator = 'digital_finance_index' then value end) as digital_finance_index,
        max(case when indicator = 'industrial_so2_t' then value end) as industrial_so2_t,
        max(case when indicator = 'industrial_wastewater_t' then value end) as industrial_wastewater_t,
        max(case when indicator = 'industrial_dust_t' then value end) as industrial_dust_t,
        max(case when indicator = 'industrial_nox_t' then value end) as industrial_nox_t,
        max(case when indicator = 'pollution_control_investment_10k_yuan' then value end) as pollution_control_investment_10k_yuan,
        max(case when indicator = 'energy_10k_tce' then value end) as energy_10k_tce,
        max(case when indicator = 'electricity_10k_kwh' then value end) as electricity_10k_kwh,
        max(case when indicator = 'broadband_users_10k' then value end) as broadband_users_10k
    from indicators
    group by adcode, year
)

select * from pivoted
