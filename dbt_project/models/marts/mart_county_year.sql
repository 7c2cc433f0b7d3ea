{#- One row per county-level unit and year (county world): the raster variables over the county
    polygons (int_rasters_pivoted: EDGAR CO2 sum, annual PM2.5 mean, the mean of the daily PM2.5 means,
    night lights mean, terrain relief) with the unit's prefecture and province. -#}
{{ config(tags=['county']) }}
with

counties as (
    select * from {{ ref('stg_boundaries__cities') }}
    where level = 'county'
),

rasters as (
    select * from {{ ref('int_rasters_pivoted') }}
),

final as (
    select
        ---------- ids
        counties.adcode,
        rasters.year::integer as year,
        counties.prefecture_adcode,
        counties.province_adcode,
        counties.name_zh,
        ---------- geometry
        counties.area_km2,
        ---------- raster variables
        rasters.edgar_co2_t as co2_edgar_t,
        rasters.pm25_ugm3,
        rasters.pm25_daily_ugm3,
        rasters.night_lights_nw,
        rasters.elevation_std_m as terrain_relief_m
    from counties
    inner join rasters using (adcode)
)

select * from final
