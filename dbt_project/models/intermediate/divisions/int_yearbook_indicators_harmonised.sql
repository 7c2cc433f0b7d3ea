{#-
  City yearbook indicators (long: adcode, year, indicator) on the boundary vintage's units
  (harmonise_to_vintage's rules, int_division_years_mapped): rows of a renamed or recoded unit become
  its successor's; an absorbed unit's values are added to its successor's. Indicators with a unit are
  amounts in their canonical unit (万元, 万人, 吨, 平方公里, ...) and are summed; an indicator without a
  unit is an index (数字普惠金融指数) and is averaged with the constituents' resident population as
  weights. Per-capita values and shares are computed in the marts from these sums, never averaged. A
  merged value is null unless every constituent of that year reported it. Provincial rows are not here
  (int_province_year_indicators_pivoted reads them as they are).
-#}
with

indicators as (
    select * from {{ ref('stg_yearbook__indicators') }}
    where not is_province and scope = '{{ var("yearbook_scope") }}'
),

population as (
    select adcode, year, max(value) as weight
    from indicators
    where indicator = 'pop_resident_10k'
    group by adcode, year
),

mapped as (
    select
        indicators.*,
        population.weight,
        crosswalk.vintage_adcode,
        crosswalk.required,
        crosswalk.n_required
    from indicators
    inner join {{ ref('int_division_years_mapped') }} as crosswalk
        on crosswalk.adcode = indicators.adcode and crosswalk.year = indicators.year
    left join population
        on population.adcode = indicators.adcode and population.year = indicators.year
    where crosswalk.in_panel
),

harmonised as (
    select
        ---------- ids
        vintage_adcode as adcode,
        year,
        ---------- indicator
        indicator_zh,
        indicator,
        unit,
        ---------- numerics
        case
            when count(distinct adcode) filter (where required and value is not null) < max(n_required) then null
            when count(*) = 1 then max(value)
            when unit is not null then sum(value)
            else sum(value * weight) / sum(weight)
        end as value,
        count(distinct adcode) as n_reported_units
    from mapped
    group by vintage_adcode, year, indicator_zh, indicator, unit
)

select * from harmonised
