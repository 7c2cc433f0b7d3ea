{#- Patents with a green flag: green if any IPC code starts with an entry of the WIPO IPC Green
    Inventory seed (prefix match on codes with spaces removed). -#}
with

patents as (
    select * from {{ ref('stg_patents__applications') }}
),

inventory as (
    select ipc_prefix from {{ ref('seed_ipc_green_inventory') }}
),

codes as (
    select application_no, unnest(ipc_list) as ipc_code
    from patents
),

-- prefix matching on the few distinct codes, not on every patent's codes
green_codes as (
    select distinct distinct_codes.ipc_code
    from (select distinct ipc_code from codes) as distinct_codes
    inner join inventory on starts_with(distinct_codes.ipc_code, inventory.ipc_prefix)
),

green as (
    select distinct codes.application_no
    from codes
    inner join green_codes using (ipc_code)
),

final as (
    select
        patents.*,
        green.application_no is not null as is_green,
        patents.patent_type = 'invention' as is_invention
    from patents
    left join green using (application_no)
)

select * from final
