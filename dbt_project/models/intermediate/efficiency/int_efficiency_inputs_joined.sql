{#- Inputs and outputs of the efficiency measures, per unit (city or province) and year. Study 001's
    GTFEE (SBM with undesirable outputs) for cities: inputs fixed-asset investment, employment, energy;
    good output GDP; bad outputs SO2, NOx, CO2 (EDGAR). Study 003's GTFP (SBM-GML) for provinces:
    investment (capital stock by perpetual inventory), employment, energy; GDP; CO2 (IPCC fuel-based),
    for the years of the province panel (int_province_years_spined; the capital stock also reads the
    investment of the years before, from var('gtfp_base_year')). Scored in int_efficiency_scored. -#}
with

city_indicators as (
    select * from {{ ref('int_city_year_indicators_pivoted') }}
),

city_emissions as (
    select * from {{ ref('int_city_year_emissions_joined') }}
),

province_spine as (
    select * from {{ ref('int_province_years_spined') }}
),

province_indicators as (
    select * from {{ ref('int_province_year_indicators_pivoted') }}
),

province_co2 as (
    select * from {{ ref('int_province_co2_calculated') }}
),

cities as (
    select
        'city' as unit_level,
        city_indicators.adcode as unit_code,
        city_indicators.year,
        city_indicators.fixed_asset_investment_10k_yuan as investment_10k_yuan,
        city_indicators.employed_10k,
        city_indicators.energy_10k_tce,
        city_indicators.gdp_10k_yuan,
        city_indicators.industrial_so2_t as so2_t,
        city_indicators.industrial_nox_t as nox_t,
        city_emissions.co2_edgar_t as co2_t
    from city_indicators
    left join city_emissions using (adcode, year)
),

provinces as (
    select
        'province' as unit_level,
        province_spine.adcode as unit_code,
        province_spine.year,
        province_indicators.fixed_asset_investment_10k_yuan as investment_10k_yuan,
        province_indicators.employed_10k,
        province_indicators.energy_10k_tce,
        province_indicators.gdp_10k_yuan,
        cast(null as double) as so2_t,
        cast(null as double) as nox_t,
        province_co2.co2_ipcc_10k_t * 1e4 as co2_t
    from province_spine
    left join province_indicators using (adcode, year)
    left join province_co2
        on province_co2.province_adcode = province_spine.adcode
        and province_co2.year = province_spine.year
),

final as (
    select * from cities
    union all
    select * from provinces
)

select * from final
