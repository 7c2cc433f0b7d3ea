{#- Pairs of distinct county-level units (county world): great-circle distance between centroids (km),
    whether the polygons touch (queen contiguity within var('contiguity_tolerance_deg'), as
    int_city_pairs_measured), each unit's k-nearest rank, and the distance band. Only pairs that are
    neighbours under one of the three rules are kept: all N(N-1) distances are computed (8 million at
    N = 2,848, cheap arithmetic), the polygon test only for pairs whose bounding boxes overlap.
    The distance band is the smallest radius leaving no unit without a neighbour (the largest
    nearest-neighbour distance, as PySAL's min_threshold_distance) unless var('county_distance_band_km')
    is larger. -#}
{{ config(tags=['county']) }}
with

counties as (
    select
        adcode,
        centroid_lon,
        centroid_lat,
        ST_GeomFromWKB(geometry_wkb) as geom
    from {{ ref('stg_boundaries__cities') }}
    where level = 'county'
),

boxes as (
    select
        *,
        ST_Buffer(geom, {{ var('contiguity_tolerance_deg') }}) as geom_buffered,
        ST_XMin(geom) - {{ var('contiguity_tolerance_deg') }} as xmin,
        ST_XMax(geom) + {{ var('contiguity_tolerance_deg') }} as xmax,
        ST_YMin(geom) - {{ var('contiguity_tolerance_deg') }} as ymin,
        ST_YMax(geom) + {{ var('contiguity_tolerance_deg') }} as ymax
    from counties
),

distances as (
    select
        i.adcode as adcode_i,
        j.adcode as adcode_j,
        {{ great_circle_km('i.centroid_lon', 'i.centroid_lat', 'j.centroid_lon', 'j.centroid_lat') }} as distance_km
    from counties as i
    inner join counties as j on i.adcode != j.adcode
),

ranked as (
    select *, row_number() over (partition by adcode_i order by distance_km, adcode_j) as distance_rank
    from distances
),

band as (
    select greatest(max(distance_km), {{ var('county_distance_band_km') }}) as band_km
    from ranked
    where distance_rank = 1
),

touching as (
    select i.adcode as adcode_i, j.adcode as adcode_j
    from boxes as i
    inner join boxes as j
        on i.adcode != j.adcode
        and i.xmin <= j.xmax and j.xmin <= i.xmax
        and i.ymin <= j.ymax and j.ymin <= i.ymax
    where ST_Intersects(i.geom_buffered, j.geom)
),

final as (
    select
        ranked.adcode_i,
        ranked.adcode_j,
        ranked.distance_km,
        ranked.distance_rank,
        touching.adcode_j is not null as touches,
        ranked.distance_km <= band.band_km as within_band,
        band.band_km
    from ranked
    cross join band
    left join touching using (adcode_i, adcode_j)
    where touching.adcode_j is not null
        or ranked.distance_rank <= {{ var('knn_k') }}
        or ranked.distance_km <= band.band_km
)

select * from final
