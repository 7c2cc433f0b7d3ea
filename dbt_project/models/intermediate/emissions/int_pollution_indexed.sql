{#- The entropy-weight indices of pollution_indices() per city-year, with the normalised components.
    Indices are rounded to 12 decimals (far below any meaningful precision) so results are exactly
    reproducible and unit-testable. -#}
with

inputs as (
    select * from {{ ref('int_city_year_emissions_joined') }}
),

{% for index in pollution_indices() %}
{{ index.name }} as (
    {{ entropy_weights('inputs', ['adcode', 'year'], index.indicators, pooling='all', epsilon=index.epsilon) }}
),
{% endfor %}

final as (
    select
        inputs.adcode,
        inputs.year,
        {% for index in pollution_indices() %}
        round({{ index.name }}.entropy_index, 12) as {{ index.name }},
        {% endfor %}
        pollution_index_000.n_industrial_wastewater_t as wastewater_normalised,
        pollution_index_000.n_industrial_so2_t as so2_normalised,
        pollution_index_000.n_industrial_dust_t as dust_normalised,
        pollution_carbon_index_001.n_co2_edgar_t as co2_normalised,
        pollution_carbon_index_001.n_pm25_ugm3 as pm25_normalised
    from inputs
    {% for index in pollution_indices() %}
    left join {{ index.name }} using (adcode, year)
    {% endfor %}
)

select * from final
