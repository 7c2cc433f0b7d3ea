{#- Study 001's instrument: the great-circle distance (km) from each city's centroid to the nearest
    national backbone optical-cable node city (0 for the node cities themselves). Time-invariant. -#}
with

cities as (
    select adcode, centroid_lon, centroid_lat from {{ ref('stg_boundaries__cities') }}
),

nodes as (
    select cities.*
    from {{ ref('seed_backbone_cable_nodes') }} as seed
    inner join cities using (adcode)
),

final as (
    select
        cities.adcode,
        min(case when cities.adcode = nodes.adcode then 0
                 else {{ great_circle_km('cities.centroid_lon', 'cities.centroid_lat', 'nodes.centroid_lon', 'nodes.centroid_lat') }}
            end) as distance_to_backbone_km
    from cities
    cross join nodes
    group by cities.adcode
)

select * from final
