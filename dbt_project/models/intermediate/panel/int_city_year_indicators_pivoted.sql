{#- Yearbook indicators of cities, one column per indicator (canonical units, see stg_yearbook__indicators). -#}
{{ yearbook_pivot(provinces=false) }}
