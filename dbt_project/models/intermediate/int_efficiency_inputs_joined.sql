{#- Inputs and outputs of the efficiency measures, per unit (city or province) and year. Seed 001's
    GTFEE (SBM with undesirable outputs) for cities: inputs fixed-asset investment, employment, energy;
    good output GDP; bad outputs SO2, NOx, CO2. Seed 003's GTFP (SBM-GML) for provinces: investment
    (capital stock by perpetual inventory), employment, energy; GDP; CO2. Scored in int_efficiency_scored. -#}
with

cities as (
    select
        'city' as unit_level,
        yb.adcode as unit_code,
        yb.year,
        yb.fixed_asset_investment_10k_yuan as investment_10k_yuan,
        yb.employed_10k,
        yb.energy_10k_tce,
        yb.gdp_10k_yuan,
        yb.industrial_so2_t as so2_t,
        yb.industrial_nox_t as nox_t,
        emissions.co2_edgar_t as co2_t
    from {{ ref('int_city_year_indicators_pivoted') }} as yb
    left join {{ ref('mart_emissions_intensity') }} as emissions using (adcode, year)
),

provinces as (
    select
        'province',
        province_adcode,
        year,
        fixed_asset_investment_10k_yuan,
        employed_10k,
        energy_10k_tce,
        gdp_10k_yuan,
        cast(null as double),
        cast(null as double),
        co2_ipcc_10k_t * 1e4
    from {{ ref('fct_province_year') }}
),

final as (
    select * from cities
    union all
    select * from provinces
)

select * from final
