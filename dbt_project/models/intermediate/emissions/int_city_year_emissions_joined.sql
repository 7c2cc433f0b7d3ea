{#- Emissions and pollution of each city-year from every source (EDGAR zonal sum, CEADs inventory,
    PM2.5 zonal mean, yearbook industrial emissions), with GDP and population for intensities. -#}
with

spine as (
    select * from {{ ref('int_city_years_spined') }}
),

rasters as (
    select * from {{ ref('int_rasters_pivoted') }}
),

ceads as (
    select * from {{ ref('int_ceads_co2_harmonised') }}
),

yearbook as (
    select * from {{ ref('int_city_year_indicators_pivoted') }}
),

final as (
    select
        spine.adcode,
        spine.year,
        rasters.edgar_co2_t as co2_edgar_t,
        rasters.edgar_coverage as co2_edgar_coverage,
        ceads.ceads_co2_t as co2_ceads_t,
        rasters.pm25_ugm3,
        rasters.pm25_coverage,
        yearbook.industrial_so2_t,
        yearbook.industrial_wastewater_t,
        yearbook.industrial_dust_t,
        yearbook.industrial_nox_t,
        yearbook.gdp_10k_yuan,
        yearbook.pop_resident_10k
    from spine
    left join rasters using (adcode, year)
    left join ceads using (adcode, year)
    left join yearbook using (adcode, year)
)

select * from final
