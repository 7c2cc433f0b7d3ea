{#- CO2 by source (EDGAR zonal, CEADs), CO2 per unit of GDP and per person, PM2.5 and the yearbook's
    industrial pollutants per city-year. Built in int_emissions_intensities_calculated. -#}
with

final as (
    select * from {{ ref('int_emissions_intensities_calculated') }}
)

select * from final
