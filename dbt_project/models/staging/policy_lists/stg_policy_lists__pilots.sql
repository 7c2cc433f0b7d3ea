with

source as (
    select * from {{ source('policy_lists', 'policy_lists') }}
),

renamed as (
    select
        ---------- ids
        policy,
        adcode,
        ---------- timing
        year as first_year,
        batch
    from source
)

select * from renamed
