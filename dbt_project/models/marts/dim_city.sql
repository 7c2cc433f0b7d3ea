with

cities as (
    select * from {{ ref('stg_boundaries__cities') }}
),

provinces as (
    select * from {{ ref('seed_provinces') }}
),

central as (
    select * from {{ ref('seed_central_cities') }}
),

municipalities as (
    select * from {{ ref('seed_municipalities') }}
),

agglomerations as (
    select * from {{ ref('seed_urban_agglomerations') }}
),

final as (
    select
        ---------- ids
        cities.adcode,
        cities.province_adcode,
        ---------- names
        cities.name_zh,
        coalesce(cities.name_en, central.name_en) as name_en,
        cities.province_zh,
        provinces.province_en,
        ---------- groups
        provinces.region,
        provinces.economic_zone,
        agglomerations.agglomeration,
        central.kind as central_city_kind,
        central.adcode is not null as is_central_city,
        municipalities.adcode is not null as is_municipality,
        provinces.region = 'east' as is_east,
        ---------- geometry
        cities.centroid_lon,
        cities.centroid_lat,
        cities.area_km2,
        cities.geometry_wkb
    from cities
    left join provinces on cities.province_adcode = provinces.province_adcode
    left join central on cities.adcode = central.adcode
    left join municipalities on cities.adcode = municipalities.adcode
    left join agglomerations on cities.adcode = agglomerations.adcode
)

select * from final
