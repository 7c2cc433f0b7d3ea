with

source as (
    select * from {{ source('patents', 'patents') }}
),

renamed as (
    select
        ---------- ids
        application_no,
        adcode,
        ---------- attributes
        patent_type,
        ipc_main,
        ipc_codes,
        string_split(ipc_codes, ';') as ipc_list,
        ---------- dates
        apply_date,
        grant_date,
        year(apply_date) as apply_year,
        year(grant_date) as grant_year
    from source
)

select * from renamed
