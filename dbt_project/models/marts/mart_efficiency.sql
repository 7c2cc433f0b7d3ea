{#- Efficiency per unit (city or province) and year: inputs, outputs and scores. Cities: study 001's
    green total-factor energy efficiency (GTFEE), super-efficiency SBM with undesirable outputs
    (inputs fixed-asset investment, employment, energy; good output GDP; bad outputs SO2, NOx, CO2),
    yearly frontiers. Provinces: study 003's GTFP, the SBM-DDF Global Malmquist-Luenberger index with
    capital by perpetual inventory (10.96% depreciation) and its efficiency / technical change parts. -#}
with

scored as (
    select * from {{ ref('int_efficiency_scored') }}
),

final as (
    select
        ---------- ids
        unit_level,
        unit_code,
        year::integer as year,
        ---------- inputs
        investment_10k_yuan,
        capital_stock as capital_stock_10k_yuan,
        employed_10k,
        energy_10k_tce,
        ---------- outputs
        gdp_10k_yuan,
        so2_t,
        nox_t,
        co2_t,
        ---------- scores
        efficiency_score,
        gml_index,
        gml_ec as gml_efficiency_change,
        gml_tc as gml_technical_change,
        gml_cumulative
    from scored
)

select * from final
