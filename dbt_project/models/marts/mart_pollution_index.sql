select
    ---------- ids
    adcode,
    year,
    ---------- indices
    pollution_index_000,
    pollution_index_000_printed,
    pollution_carbon_index_001,
    ---------- normalised components
    wastewater_normalised,
    so2_normalised,
    dust_normalised,
    co2_normalised,
    pm25_normalised
from {{ ref('int_pollution_indexed') }}
