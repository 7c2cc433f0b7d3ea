{#- The entropy-weight pollution indices of studies 000 (both directions) and 001 per city-year, with
    their normalised components. Built in int_pollution_indexed; the weights are in
    mart_pollution_index_weights. -#}
with

final as (
    select * from {{ ref('int_pollution_indexed') }}
)

select * from final
