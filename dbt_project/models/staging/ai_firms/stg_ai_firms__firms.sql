with

source as (
    select * from {{ source('ai_firms', 'firms') }}
),

renamed as (
    select
        ---------- ids
        firm_id,
        adcode,
        ---------- attributes
        firm_name,
        status,
        industry,
        business_scope,
        ---------- dates
        registered,
        deregistered,
        year(registered) as registered_year,
        year(deregistered) as deregistered_year
    from source
)

select * from renamed
