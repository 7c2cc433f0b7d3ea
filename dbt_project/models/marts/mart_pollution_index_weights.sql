{#- The entropy weights behind mart_pollution_index (one row per index x pooling group x indicator),
    rounded to 12 decimals like the indices. -#}
with

inputs as (
    select * from {{ ref('int_city_year_emissions_joined') }}
),

{% for index in pollution_indices() %}
{{ index.name }} as (
    {{ entropy_weights('inputs', ['adcode', 'year'], index.indicators, pooling='all', epsilon=index.epsilon,
                       output='weights') }}
),
{% endfor %}

all_weights as (
    {% for index in pollution_indices() %}
    select '{{ index.name }}' as index_name, * from {{ index.name }}
    {{ "union all" if not loop.last }}
    {% endfor %}
),

final as (
    select
        index_name,
        pooling_group,
        indicator,
        direction,
        round(entropy, 12) as entropy,
        round(divergence, 12) as divergence,
        round(weight, 12) as weight
    from all_weights
)

select * from final
