with

source as (
    select * from {{ source('rasters', 'raster_zonal') }}
),

renamed as (
    select
        ---------- ids
        source as product,
        variable,
        adcode,
        year,
        stat,
        ---------- numerics
        value,
        coverage
    from source
)

select * from renamed
