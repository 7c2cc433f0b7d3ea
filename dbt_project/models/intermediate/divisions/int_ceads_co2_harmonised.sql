{#- CEADs city CO2 on the boundary vintage's units: an absorbed unit's emissions are added to its
    successor's (CEADs lists 莱芜 to 2017 and 巢湖 to 2010: 巢湖 has no single successor and is left out). -#}
{{ harmonise_to_vintage(ref('stg_ceads__city_co2'), ['ceads_co2_t', 'ceads_co2_energy_t', 'ceads_co2_process_t']) }}
