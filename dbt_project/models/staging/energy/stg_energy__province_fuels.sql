{#- Fuel consumption in the units of the energy balance and of the IPCC factor seed: solid and liquid
    fuels in 万吨 (10^4 t; the loader stores tonnes), natural gas in 亿立方米 (10^8 m3). -#}
with

source as (
    select * from {{ source('energy', 'province_energy') }}
),

renamed as (
    select
        ---------- ids
        province_adcode,
        year,
        fuel,
        ---------- numerics
        case unit when '吨' then value / 1e4 else value end as consumption,
        case unit when '吨' then '万吨' else unit end as unit
    from source
)

select * from renamed
