{#- City x year x policy: treated flag, cohort (first year) and relative time of the AI pilots, smart
    cities, low-carbon cities, Broadband China and the ETS pilots. Built in int_policy_treatments_timed. -#}
with

final as (
    select * from {{ ref('int_policy_treatments_timed') }}
)

select * from final
