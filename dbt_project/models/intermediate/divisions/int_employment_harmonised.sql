{#- Base-year employment by industry: city rows on the boundary vintage's units (the 2004 census names
    the units of 2004: 襄樊, 莱芜, 巢湖; an absorbed unit's employment is added to its successor's), the
    country and province rows as they are. -#}
with

employment as (
    select * from {{ ref('stg_employment__base_year') }}
),

cities as (
    select geo_code as adcode, base_year as year, industry, employment_persons
    from employment
    where geo_level = 'city'
),

cities_harmonised as (
    {{ harmonise_to_vintage('cities', ['employment_persons'], keys=['industry']) }}
),

final as (
    select geo_level, geo_code, industry, base_year, employment_persons
    from employment
    where geo_level != 'city'
    union all
    select 'city', adcode, industry, year, employment_persons
    from cities_harmonised
)

select * from final
