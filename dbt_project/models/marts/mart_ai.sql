{#- AI development per city-year: AI firms operating, new and exited, ln(1 + x), and AI attention.
    Built in int_ai_development_measured. -#}
with

final as (
    select * from {{ ref('int_ai_development_measured') }}
)

select * from final
