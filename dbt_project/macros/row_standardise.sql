{#- Row-standardise spatial weights: w_ij / sum_j w_ij within a matrix and origin unit. -#}
{% macro row_standardise(weight, partition_by) -%}
{{ weight }} / nullif(sum({{ weight }}) over (partition by {{ partition_by }}), 0)
{%- endmacro %}

{#- The edge table of a weights mart from its raw edges (matrix, adcode_i, adcode_j, weight_raw): zero
    weights dropped, weight = weight_raw row-standardised within matrix and origin, rounded to 15 decimals
    (a change below 5e-16) so that it does not depend on the order of summation. -#}
{% macro standardised_edges(raw_edges) -%}
    select
        matrix,
        adcode_i,
        adcode_j,
        weight_raw,
        round({{ row_standardise('weight_raw', 'matrix, adcode_i') }}, 15) as weight
    from {{ raw_edges }}
    where weight_raw > 0
{%- endmacro %}
