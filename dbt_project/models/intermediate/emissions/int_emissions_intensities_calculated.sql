{#- Emissions and pollution of each city-year with the intensities: CO2 per unit of GDP (EDGAR zonal sum
    and CEADs inventory, t per 10^4 yuan) and per resident (t per person). The building block of
    mart_emissions_intensity and fct_city_year. -#}
with

emissions as (
    select * from {{ ref('int_city_year_emissions_joined') }}
),

final as (
    select
        ---------- ids
        adcode,
        year,
        ---------- carbon (tonnes)
        co2_edgar_t,
        co2_edgar_coverage,
        co2_ceads_t,
        ---------- intensities
        co2_edgar_t / nullif(gdp_10k_yuan, 0) as co2_per_gdp_t_per_10k_yuan,
        co2_ceads_t / nullif(gdp_10k_yuan, 0) as co2_ceads_per_gdp_t_per_10k_yuan,
        co2_edgar_t / nullif(pop_resident_10k * 1e4, 0) as co2_per_capita_t,
        ---------- pollution
        pm25_ugm3,
        pm25_coverage,
        industrial_so2_t,
        industrial_wastewater_t,
        industrial_dust_t,
        industrial_nox_t
    from emissions
)

select * from final
