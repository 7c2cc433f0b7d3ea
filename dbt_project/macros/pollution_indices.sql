{#- The entropy-weight indices of the studies: name, indicators with directions, epsilon. Used by
    int_pollution_indexed (index values) and mart_pollution_index_weights (weights), so both always
    describe the same indices.
    * pollution_index_000: wastewater, SO2 and dust (study 000, formulas 2-6), positive = more polluted
      (the defensible reading); pollution_index_000_printed: the printed negative normalisation.
    * pollution_carbon_index_001: CO2 (EDGAR) and PM2.5 (study 001, formulas 10-20), positive,
      standardised zeros set to 1e-5. All pooled over every city-year with complete inputs. -#}
{% macro pollution_indices() %}
{{ return([
    {'name': 'pollution_index_000', 'epsilon': 0, 'indicators': [
        {'name': 'industrial_wastewater_t', 'direction': 'positive'},
        {'name': 'industrial_so2_t', 'direction': 'positive'},
        {'name': 'industrial_dust_t', 'direction': 'positive'}]},
    {'name': 'pollution_index_000_printed', 'epsilon': 0, 'indicators': [
        {'name': 'industrial_wastewater_t', 'direction': 'negative'},
        {'name': 'industrial_so2_t', 'direction': 'negative'},
        {'name': 'industrial_dust_t', 'direction': 'negative'}]},
    {'name': 'pollution_carbon_index_001', 'epsilon': 0.00001, 'indicators': [
        {'name': 'co2_edgar_t', 'direction': 'positive'},
        {'name': 'pm25_ugm3', 'direction': 'positive'}]},
]) }}
{% endmacro %}
