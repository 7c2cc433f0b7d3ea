{#-
  Spatial weight matrices as an edge table (matrix, adcode_i, adcode_j, weight_raw, weight), with
  weight = weight_raw row-standardised (rows sum to one; no self-weights; zero weights omitted):
    inverse_distance          w_ij = 1 / d_ij                 (d: great-circle km between centroids)
    inverse_distance_squared  w_ij = 1 / d_ij^2
    economic_geographic       W_d * diag(mean GDP per capita_j / overall mean), i.e.
                              w_ij = (1/d_ij) * (pgdp_bar_j / pgdp_bar), then row-standardised
                              (pgdp_bar_j: city j's mean GDP per capita over the panel years)
    queen                     w_ij = 1 if the polygons touch (within the sliver tolerance)
    knn                       w_ij = 1 for the var('knn_k') nearest cities by distance
  Raw inverse distances are symmetric; the row-standardised weights are not. Weights are rounded to 15
  decimals (a change below 5e-16) so they do not depend on the order of summation.
-#}
with

pairs as (
    select * from {{ ref('int_city_pairs_measured') }}
),

income as (
    select adcode, avg(gdp_10k_yuan / nullif(pop_resident_10k, 0)) as mean_pgdp  -- yuan per person
    from {{ ref('int_city_year_indicators_pivoted') }}
    group by adcode
),

income_scaled as (
    select adcode, mean_pgdp / avg(mean_pgdp) over () as relative_pgdp
    from income
),

ranked as (
    select *, row_number() over (partition by adcode_i order by distance_km, adcode_j) as distance_rank
    from pairs
),

raw_edges as (
    select 'inverse_distance' as matrix, adcode_i, adcode_j, 1 / distance_km as weight_raw from pairs
    union all
    select 'inverse_distance_squared', adcode_i, adcode_j, 1 / power(distance_km, 2) from pairs
    union all
    select 'economic_geographic', pairs.adcode_i, pairs.adcode_j, (1 / pairs.distance_km) * income_scaled.relative_pgdp
    from pairs
    inner join income_scaled on pairs.adcode_j = income_scaled.adcode
    union all
    select 'queen', adcode_i, adcode_j, 1.0 from pairs where touches
    union all
    select 'knn', adcode_i, adcode_j, 1.0 from ranked where distance_rank <= {{ var('knn_k') }}
),

final as (
    {{ standardised_edges('raw_edges') }}
)

select * from final
