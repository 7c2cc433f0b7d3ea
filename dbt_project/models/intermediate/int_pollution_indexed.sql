{#-
  The two entropy-weight indices, pooled over all city-years with complete inputs:
  * pollution_000: industrial wastewater, SO2 and dust (seed 000, formulas 2-6). Direction 'positive'
    (higher = more polluted) is the defensible reading; seed 000 prints the negative-indicator
    normalisation (higher = less polluted), kept as pollution_000_printed.
  * ei_001: CO2 (EDGAR) and PM2.5 (seed 001, formulas 10-20), positive, standardised zeros set to 1e-5.
  Indices are rounded to 12 decimals (far below any meaningful precision) so results are exactly
  reproducible and unit-testable.
-#}
with

inputs as (
    select * from {{ ref('int_city_year_emissions_joined') }}
),

pollution_000 as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'industrial_wastewater_t', 'direction': 'positive'},
         {'name': 'industrial_so2_t', 'direction': 'positive'},
         {'name': 'industrial_dust_t', 'direction': 'positive'}], pooling='all') }}
),

pollution_000_printed as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'industrial_wastewater_t', 'direction': 'negative'},
         {'name': 'industrial_so2_t', 'direction': 'negative'},
         {'name': 'industrial_dust_t', 'direction': 'negative'}], pooling='all') }}
),

ei_001 as (
    {{ entropy_weights('inputs', ['adcode', 'year'],
        [{'name': 'co2_edgar_t', 'direction': 'positive'},
         {'name': 'pm25_ugm3', 'direction': 'positive'}], pooling='all', epsilon=0.00001) }}
),

final as (
    select
        inputs.adcode,
        inputs.year,
        round(pollution_000.entropy_index, 12) as pollution_index_000,
        round(pollution_000_printed.entropy_index, 12) as pollution_index_000_printed,
        round(ei_001.entropy_index, 12) as pollution_carbon_index_001,
        pollution_000.n_industrial_wastewater_t as wastewater_normalised,
        pollution_000.n_industrial_so2_t as so2_normalised,
        pollution_000.n_industrial_dust_t as dust_normalised,
        ei_001.n_co2_edgar_t as co2_normalised,
        ei_001.n_pm25_ugm3 as pm25_normalised
    from inputs
    left join pollution_000 using (adcode, year)
    left join pollution_000_printed using (adcode, year)
    left join ei_001 using (adcode, year)
)

select * from final
