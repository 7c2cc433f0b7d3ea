{#- Patent applications and grants per city-year (total, invention, utility, green) and their
    ln(1 + count). Built in int_patents_counted. -#}
with

final as (
    select * from {{ ref('int_patents_counted') }}
)

select * from final
