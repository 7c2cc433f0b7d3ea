{#- Study 003's province panel: IPCC fuel-based CO2, robot exposure (shift-share, 2004 base) and its
    instruments, and the controls. Formulas and units in fct_province_year.yml. -#}
with

spine as (select * from {{ ref('int_province_years_spined') }}),
yb as (select * from {{ ref('int_province_year_indicators_pivoted') }}),
co2 as (select * from {{ ref('int_province_co2_calculated') }}),
robots as (
    select unit_code as province_adcode, year, robot_exposure, robot_exposure_lag1, robot_exposure_us
    from {{ ref('int_robot_exposure_lagged') }}
    where geo_level = 'province'
),
green as (
    select left(adcode, 2) || '0000' as province_adcode, year, sum(green_applications) as green_applications
    from {{ ref('int_patents_counted') }}
    group by 1, 2
),
national as (
    select yb.year, sum(yb.electricity_10k_kwh) as national_electricity_10k_kwh
    from yb
    inner join spine using (adcode, year)
    group by yb.year
),

final as (
    select
        ---------- ids
        spine.adcode as province_adcode,
        spine.year,
        ---------- carbon
        co2.co2_ipcc_10k_t,
        ln(co2.co2_ipcc_10k_t) as ln_co2_ipcc,
        ---------- AI (robots)
        robots.robot_exposure,
        robots.robot_exposure_lag1,
        robots.robot_exposure_us,
        ---------- controls
        yb.trade_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as openness,
        yb.pop_resident_10k / nullif(yb.land_area_km2, 0) as population_density,
        yb.loans_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as loans_gdp_ratio,
        yb.budget_expenditure_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as government_intervention,
        yb.electricity_10k_kwh / nullif(national.national_electricity_10k_kwh, 0) as energy_structure,
        yb.pop_urban_10k / nullif(yb.pop_resident_10k, 0) as urbanization_rate,
        ---------- mechanisms and groups
        yb.energy_10k_tce / nullif(yb.gdp_10k_yuan, 0) * 1e4 as energy_intensity_tce_per_10k_yuan,
        green.green_applications / nullif(yb.pop_resident_10k, 0) as green_patents_per_10k_people,
        yb.gdp_tertiary_10k_yuan / nullif(yb.gdp_secondary_10k_yuan, 0) as industrial_structure_upgrading,
        yb.pollution_control_investment_10k_yuan / nullif(yb.gdp_secondary_10k_yuan, 0) as environmental_regulation,
        yb.gdp_secondary_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as industrialization,
        ---------- levels (inputs of GTFP)
        yb.gdp_10k_yuan,
        yb.fixed_asset_investment_10k_yuan,
        yb.employed_10k,
        yb.energy_10k_tce,
        yb.pop_resident_10k
    from spine
    left join yb using (adcode, year)
    left join co2 on co2.province_adcode = spine.adcode and co2.year = spine.year
    left join robots on robots.province_adcode = spine.adcode and robots.year = spine.year
    left join green on green.province_adcode = spine.adcode and green.year = spine.year
    left join national on national.year = spine.year
)

select * from final
