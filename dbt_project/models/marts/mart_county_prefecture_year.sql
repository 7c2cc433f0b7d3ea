{#- The county world's prefecture-year PM2.5 means from the county-year rows: area-weighted means of the
    county means. With coverage-weighted county means over a partition of the prefecture this is the
    prefecture's own coverage-weighted mean when the cells are all valid (sum_c A_c m_c / sum_c A_c). -#}
{{ config(tags=['county']) }}
with

county_year as (
    select * from {{ ref('mart_county_year') }}
),

final as (
    select
        ---------- ids
        prefecture_adcode,
        year,
        ---------- numerics
        count(*) as counties,
        sum(area_km2) as area_km2,
        sum(pm25_ugm3 * area_km2) / sum(area_km2) as pm25_ugm3,
        sum(pm25_daily_ugm3 * area_km2) / sum(area_km2) as pm25_daily_ugm3,
        sum(co2_edgar_t) as co2_edgar_t
    from county_year
    group by prefecture_adcode, year
)

select * from final
