with

source as (
    select * from {{ source('employment', 'employment') }}
),

renamed as (
    select
        ---------- ids
        geo_level,
        geo_code,
        industry,
        year as base_year,
        ---------- numerics
        employment as employment_persons
    from source
)

select * from renamed
