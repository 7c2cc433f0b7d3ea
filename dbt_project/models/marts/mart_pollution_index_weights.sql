{#- The entropy weights behind mart_pollution_index (one row per index x pooling group x indicator). -#}
with

inputs as (
    select * from {{ ref('int_city_year_emissions_joined') }}
),

pollution_000 as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'industrial_wastewater_t', 'direction': 'positive'},
         {'name': 'industrial_so2_t', 'direction': 'positive'},
         {'name': 'industrial_dust_t', 'direction': 'positive'}], pooling='all', output='weights') }}
),

pollution_000_printed as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'industrial_wastewater_t', 'direction': 'negative'},
         {'name': 'industrial_so2_t', 'direction': 'negative'},
         {'name': 'industrial_dust_t', 'direction': 'negative'}], pooling='all', output='weights') }}
),

ei_001 as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'co2_edgar_t', 'direction': 'positive'},
         {'name': 'pm25_ugm3', 'direction': 'positive'}], pooling='all', epsilon=0.00001, output='weights') }}
),

all_weights as (
    select 'pollution_index_000' as index_name, * from pollution_000
    union all
    select 'pollution_index_000_printed', * from pollution_000_printed
    union all
    select 'pollution_carbon_index_001', * from ei_001
)

select
    index_name,
    pooling_group,
    indicator,
    direction,
    round(entropy, 12) as entropy,
    round(divergence, 12) as divergence,
    round(weight, 12) as weight
from all_weights
