with

source as (
    select * from {{ source('ceads', 'ceads_co2') }}
),

renamed as (
    select
        ---------- ids
        adcode,
        year,
        ---------- numerics (tonnes)
        co2_total_t as ceads_co2_t,
        co2_energy_t as ceads_co2_energy_t,
        co2_process_t as ceads_co2_process_t
    from source
)

select * from renamed
