{#- The boundaries are the panel's units: every polygon's code is a unit of the code table of the
    boundary vintage (var boundary_vintage). A boundary file of another year needs that year as the
    vintage (dbt build --vars '{boundary_vintage: 2015}'). Fails with each polygon that is not. The code
    tables list prefecture-level units: the county world's county-level polygons are not checked here
    (tag prefecture: left out of the county world's build). -#}
{{ config(tags=['prefecture']) }}
select boundaries.adcode, boundaries.name_zh
from {{ ref('stg_boundaries__cities') }} as boundaries
where boundaries.level = 'prefecture' and not exists (
    select 1
    from {{ ref('seed_division_units') }} as units
    where units.adcode = boundaries.adcode
      and {{ var('boundary_vintage') }} between units.valid_from
                                            and coalesce(units.valid_to, {{ var('code_table_last_year') }})
)
