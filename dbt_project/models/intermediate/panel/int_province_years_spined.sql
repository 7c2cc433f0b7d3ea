{#- The province-year spine: every province of the provincial yearbook x every year of the city panel
    (int_city_years_spined). The provincial series may reach back further (fixed-asset investment from
    var('gtfp_base_year'), for study 003's capital stock); the province panel covers the city panel's
    years. -#}
with

provinces as (
    select distinct adcode from {{ ref('int_province_year_indicators_pivoted') }}
),

years as (
    select distinct year from {{ ref('int_city_years_spined') }}
),

final as (
    select provinces.adcode, years.year
    from provinces
    cross join years
)

select * from final
