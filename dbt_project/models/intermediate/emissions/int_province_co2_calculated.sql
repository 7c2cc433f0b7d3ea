{#- Study 003's total CO2: IPCC (2006) fuel-based emissions, sum over the nine fuels of
    consumption x net calorific value x carbon content x oxidation x 44/12 (factor seed, 10^4 t CO2 per
    physical unit: 万吨 of fuel, natural gas 亿立方米). -#}
with

fuels as (
    select * from {{ ref('stg_energy__province_fuels') }}
),

factors as (
    select fuel, co2_10k_t_per_unit from {{ ref('seed_ipcc_fuel_factors') }}
),

final as (
    select
        fuels.province_adcode,
        fuels.year,
        sum(fuels.consumption * factors.co2_10k_t_per_unit) as co2_ipcc_10k_t,
        count(*) as fuels_reported
    from fuels
    inner join factors using (fuel)
    group by 1, 2
)

select * from final
