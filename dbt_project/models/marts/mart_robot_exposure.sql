{#- Shift-share robot exposure by province-year and city-year, its lag and the US-robot instrument.
    Built in int_robot_exposure_lagged. -#}
with

final as (
    select * from {{ ref('int_robot_exposure_lagged') }}
)

select * from final
