with

source as (
    select * from {{ source('gov_reports', 'gov_reports') }}
),

renamed as (
    select
        ---------- ids
        adcode,
        year,
        ---------- text
        text,
        n_chars
    from source
)

select * from renamed
