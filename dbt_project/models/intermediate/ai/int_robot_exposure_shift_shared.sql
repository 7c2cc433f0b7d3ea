{#-
  Shift-share robot exposure (study 003, equation 2; Wang Yongqin's Bartik design), in robots per
  1,000 workers, for provinces and cities:
      Robot_gt    = sum_j (L_gj^b / L_g^b) * (RobotStock^CHN_jt / L^CHN_j^b) * 1000
      RobotUS_gt  = sum_j (L_gj^b / L_g^b) * (RobotStock^USA_jt / L^USA_j^1990) * 1000   (instrument)
  b = var('shift_share_base_year') (2004). Chinese census industries map to IFR groups through the
  crosswalk seed. Study 003 prints the two readings with swapped definitions; this is the defensible
  one (local employment shares x national industry robot density); see fct_province_year.
-#}
with

employment as (
    select
        e.geo_level,
        e.geo_code,
        coalesce(crosswalk.isic_code, e.industry) as isic_code,
        e.base_year,
        e.employment_persons
    from {{ ref('int_employment_harmonised') }} as e
    left join {{ ref('seed_ifr_industry_crosswalk') }} as crosswalk on e.industry = crosswalk.cn_industry
),

local_shares as (
    select
        geo_level,
        geo_code as unit,
        isic_code,
        employment_persons / sum(employment_persons) over (partition by geo_level, geo_code) as share
    from employment
    where geo_level in ('province', 'city') and base_year = {{ var('shift_share_base_year') }}
),

national as (
    select geo_code as country_code, isic_code, employment_persons
    from employment
    where geo_level = 'country'
      and ((geo_code = 'CHN' and base_year = {{ var('shift_share_base_year') }}) or (geo_code = 'USA' and base_year = 1990))
),

density as (
    select
        robots.country_code,
        robots.isic_code,
        robots.year,
        robots.operational_stock / national.employment_persons * 1000 as robots_per_1000_workers
    from {{ ref('stg_ifr_robots__industry_year') }} as robots
    inner join national using (country_code, isic_code)
),

final as (
    select
        local_shares.geo_level,
        local_shares.unit,
        density.year,
        sum(local_shares.share * density.robots_per_1000_workers) filter (where density.country_code = 'CHN')
            as robot_exposure,
        sum(local_shares.share * density.robots_per_1000_workers) filter (where density.country_code = 'USA')
            as robot_exposure_us
    from local_shares
    inner join density using (isic_code)
    group by 1, 2, 3
)

select * from final
