with

source as (
    select * from {{ source('boundaries', 'city_boundaries') }}
),

renamed as (
    select
        ---------- ids
        adcode,
        province_adcode,
        prefecture_adcode,
        level,
        ---------- names
        name_zh,
        name_en,
        province_zh,
        ---------- geometry
        area_km2,
        centroid_lon,
        centroid_lat,
        geometry_wkb,
        source_crs
    from source
)

select * from renamed
