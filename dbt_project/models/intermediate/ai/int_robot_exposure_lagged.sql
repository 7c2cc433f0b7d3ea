{#- Shift-share robot exposure by province-year and city-year (robots per 1,000 workers, 2004
    employment shares, int_robot_exposure_shift_shared) with its one-year lag (study 003's first
    instrument) and the US-robot instrument. The building block of mart_robot_exposure,
    fct_city_year and fct_province_year. -#}
with

exposure as (
    select * from {{ ref('int_robot_exposure_shift_shared') }}
),

final as (
    select
        ---------- ids
        geo_level,
        unit as unit_code,
        year,
        ---------- exposure
        robot_exposure,
        lag(robot_exposure) over (partition by geo_level, unit order by year) as robot_exposure_lag1,
        robot_exposure_us
    from exposure
)

select * from final
