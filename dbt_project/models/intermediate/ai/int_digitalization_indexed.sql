{#- Study 004's digitalisation level: entropy-weight index of internet development (broadband users
    per 100 residents) and digital finance (the digital inclusive finance index), pooled over all
    city-years where both exist (digital finance starts in 2011). -#}
with

inputs as (
    select
        adcode,
        year,
        broadband_users_10k / nullif(pop_resident_10k, 0) * 100 as broadband_per_100,
        digital_finance_index
    from {{ ref('int_city_year_indicators_pivoted') }}
),

indexed as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'broadband_per_100', 'direction': 'positive'},
         {'name': 'digital_finance_index', 'direction': 'positive'}], pooling='all') }}
),

final as (
    select adcode, year, entropy_index as digitalization_index from indexed
)

select * from final
