{#- Raster zonal statistics per unit-year (and the time-invariant terrain relief per unit): the cities, or
    the county-level units of the county world. pm25_daily_ugm3: the mean of the daily means (pm25_daily). -#}
with

zonal as (
    select * from {{ ref('stg_rasters__zonal') }}
),

city_year as (
    select
        adcode,
        year,
        max(value) filter (where product = 'edgar_co2' and stat = 'sum') as edgar_co2_t,
        max(coverage) filter (where product = 'edgar_co2' and stat = 'sum') as edgar_coverage,
        max(value) filter (where product = 'pm25' and stat = 'mean') as pm25_ugm3,
        max(coverage) filter (where product = 'pm25' and stat = 'mean') as pm25_coverage,
        max(value) filter (where product = 'pm25_daily' and stat = 'mean') as pm25_daily_ugm3,
        max(value) filter (where product = 'ntl' and stat = 'mean') as night_lights_nw
    from zonal
    where product in ('edgar_co2', 'pm25', 'pm25_daily', 'ntl')
    group by adcode, year
),

relief as (
    select
        adcode,
        max(value) filter (where stat = 'std') as elevation_std_m,
        max(value) filter (where stat = 'range') as elevation_range_m
    from zonal
    where product = 'dem'
    group by adcode
),

final as (
    select city_year.*, relief.elevation_std_m, relief.elevation_range_m
    from city_year
    left join relief using (adcode)
)

select * from final
