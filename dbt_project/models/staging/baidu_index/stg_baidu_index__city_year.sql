with

source as (
    select * from {{ source('baidu_index', 'baidu_index') }}
),

renamed as (
    select
        ---------- ids
        adcode,
        year,
        keyword,
        ---------- numerics
        value as daily_average
    from source
)

select * from renamed
