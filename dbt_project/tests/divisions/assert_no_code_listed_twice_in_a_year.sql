{#- seed_division_units: a code names one unit in one code table. Fails with every pair of periods of the
    same code whose code tables overlap. -#}
with

units as (
    select adcode, name_zh, valid_from, coalesce(valid_to, {{ var('code_table_last_year') }}) as table_to
    from {{ ref('seed_division_units') }}
)

select a.adcode, a.name_zh, a.valid_from, a.table_to, b.name_zh as other_name, b.valid_from as other_from
from units as a
inner join units as b
    on a.adcode = b.adcode and a.valid_from < b.valid_from and b.valid_from <= a.table_to
