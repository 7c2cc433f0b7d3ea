{#-
  Spatial weights of the county-level units (county world) as an edge table like mart_spatial_weights
  (matrix, adcode_i, adcode_j, weight_raw, weight; weight row-standardised, no self-weights, zero weights
  omitted, rounded to 15 decimals):
    queen          w_ij = 1 if the polygons touch (within the sliver tolerance); symmetric
    knn            w_ij = 1 for the var('knn_k') nearest units by centroid distance
    distance_band  w_ij = 1 if d_ij <= band_km (int_county_pairs_measured); symmetric
  Units without a touching neighbour (islands such as 长岛 or 嵊泗) have no queen row.
-#}
{{ config(tags=['county']) }}
with

pairs as (
    select * from {{ ref('int_county_pairs_measured') }}
),

raw_edges as (
    select 'queen' as matrix, adcode_i, adcode_j, 1.0::double as weight_raw from pairs where touches
    union all
    select 'knn', adcode_i, adcode_j, 1.0 from pairs where distance_rank <= {{ var('knn_k') }}
    union all
    select 'distance_band', adcode_i, adcode_j, 1.0 from pairs where within_band
),

final as (
    {{ standardised_edges('raw_edges') }}
)

select * from final
