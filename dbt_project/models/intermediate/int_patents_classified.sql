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

green as (
    select distinct codes.application_no
    from codes
    inner join inventory on starts_with(codes.ipc_code, inventory.ipc_prefix)
),

classified as (
    select
        patents.*,
        green.application_no is not null as is_green,
        patents.patent_type = 'invention' as is_invention
    from patents
    left join green using (application_no)
)

select * from classified
