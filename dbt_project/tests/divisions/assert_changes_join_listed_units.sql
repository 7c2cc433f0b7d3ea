{#- seed_division_changes: each change's old unit is listed in the code table before its year in force and
    its new unit in the table of that year (a change between units the tables never listed would break
    the chains). Fails with each change that does not. -#}
with

units as (
    select adcode, valid_from, coalesce(valid_to, {{ var('code_table_last_year') }}) as table_to
    from {{ ref('seed_division_units') }}
),

changes as (
    select * from {{ ref('seed_division_changes') }}
)

select changes.*
from changes
where (changes.old_adcode is not null and not exists (
          select 1 from units
          where units.adcode = changes.old_adcode
            and changes.year_in_force - 1 between units.valid_from and units.table_to))
   or not exists (
          select 1 from units
          where units.adcode = changes.new_adcode
            and changes.year_in_force between units.valid_from and units.table_to)
