{#- Row-standardise spatial weights: w_ij / sum_j w_ij within a matrix and origin unit. -#}
{% macro row_standardise(weight, partition_by) -%}
{{ weight }} / nullif(sum({{ weight }}) over (partition by {{ partition_by }}), 0)
{%- endmacro %}
