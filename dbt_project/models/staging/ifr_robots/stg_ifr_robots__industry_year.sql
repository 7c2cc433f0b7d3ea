with

source as (
    select * from {{ source('ifr_robots', 'ifr_robots') }}
),

renamed as (
    select
        ---------- ids
        case country when 'China' then 'CHN' when 'United States' then 'USA' else country end as country_code,
        isic_code,
        year,
        ---------- attributes
        industry as ifr_industry,
        ---------- numerics
        installations,
        operational_stock
    from source
)

select * from renamed
