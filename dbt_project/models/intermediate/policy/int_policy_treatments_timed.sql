{#-
  City x year x policy treatment. treated = 1 from the first year of the policy on (study 002:
  "Post = 1 for the year when the policy is implemented and all subsequent years"); cohort = first
  year (null for never-treated); relative_time = year - cohort. ETS pilots are provincial (Shenzhen a
  city): every city of a pilot province is treated from the launch year.
-#}
with

spine as (
    select * from {{ ref('int_city_years_spined') }}
),

first_years as (
    select 'ai_pilot' as policy, adcode, year as cohort from {{ ref('seed_ai_pilot_zones') }}
    union all
    select 'national_ai_pilot', adcode, year from {{ ref('seed_national_ai_pilot_zones') }}
    union all
    -- listed under the unit of the year of announcement; one-to-one links only (records_to_vintage)
    select policy, adcode, first_year
    from ({{ records_to_vintage(ref('stg_policy_lists__pilots'), 'records.first_year',
                                rules=one_to_one_division_rules()) }})
    union all
    select 'ets_pilot', cities.adcode, min(ets.year_launched)
    from {{ ref('stg_boundaries__cities') }} as cities
    inner join {{ ref('seed_ets_pilots') }} as ets
        on (ets.level = 'province' and cities.province_adcode = ets.region_adcode)
        or (ets.level = 'city' and cities.adcode = ets.region_adcode)
    group by cities.adcode
),

policies as (
    select distinct policy from first_years
),

cohorts as (
    select policy, adcode, min(cohort) as cohort
    from first_years
    group by policy, adcode
),

final as (
    select
        ---------- ids
        spine.adcode,
        spine.year,
        policies.policy,
        ---------- timing
        cohorts.cohort,
        case when cohorts.cohort is not null and spine.year >= cohorts.cohort then 1 else 0 end as treated,
        spine.year - cohorts.cohort as relative_time,
        cohorts.cohort is not null as ever_treated
    from spine
    cross join policies
    left join cohorts on cohorts.policy = policies.policy and cohorts.adcode = spine.adcode
)

select * from final
