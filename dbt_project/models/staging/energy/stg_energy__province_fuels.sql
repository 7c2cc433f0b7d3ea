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
        value as consumption,
        unit
    from source
)

select * from renamed
