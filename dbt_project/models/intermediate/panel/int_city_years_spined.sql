{#- The city-year spine: every city of the boundaries x every year with yearbook data. -#}
with

cities as (
    select adcode from {{ ref('stg_boundaries__cities') }}
),

years as (
    select distinct year from {{ ref('stg_yearbook__indicators') }}
    where not is_province
),

final as (
    select cities.adcode, years.year
    from cities
    cross join years
)

select * from final
