{#- Winsorise a column at the lower/upper quantiles (e.g. 0.01 -> 1st and 99th percentiles), optionally
    within partitions. Quantiles are linear interpolations (quantile_cont), as Stata's winsor2. -#}
{% macro winsorise(column, lower=0.01, upper=none, partition_by=none) -%}
{%- set up = (1 - lower) if upper is none else upper -%}
{%- set over = "over (partition by " ~ partition_by ~ ")" if partition_by else "over ()" -%}
least(
    greatest({{ column }}, quantile_cont({{ column }}, {{ lower }}) {{ over }}),
    quantile_cont({{ column }}, {{ up }}) {{ over }}
)
{%- endmacro %}
