{#- Every ordered pair of distinct cities with the great-circle distance between their centroids (km)
    and whether their polygons touch (queen contiguity: a shared boundary point is enough). Boundaries
    are simplified on load, so neighbours may be separated by slivers: polygons within
    var('contiguity_tolerance_deg') of each other count as touching. (Tested through a buffer: DuckDB
    spatial 1.5's ST_Distance / ST_DWithin return 0 for some disjoint polygons.) -#}
with

cities as (
    select
        adcode,
        centroid_lon,
        centroid_lat,
        ST_GeomFromWKB(geometry_wkb) as geom,
        ST_Buffer(ST_GeomFromWKB(geometry_wkb), {{ var('contiguity_tolerance_deg') }}) as geom_buffered
    from {{ ref('stg_boundaries__cities') }}
),

final as (
    select
        i.adcode as adcode_i,
        j.adcode as adcode_j,
        {{ great_circle_km('i.centroid_lon', 'i.centroid_lat', 'j.centroid_lon', 'j.centroid_lat') }} as distance_km,
        ST_Intersects(i.geom_buffered, j.geom) as touches
    from cities as i
    inner join cities as j on i.adcode != j.adcode
)

select * from final
