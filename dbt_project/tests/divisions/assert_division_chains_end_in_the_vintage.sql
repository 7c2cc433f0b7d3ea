{#- Every unit of the code tables ends, through its renames, new codes and mergers, in a unit listed in
    the code table of the boundary vintage, or in an explicit "no single successor" (dissolved, formed
    after the vintage from parts of its units). Fails with each code-year that ends elsewhere. -#}
with

crosswalk as (
    select * from {{ ref('int_division_years_mapped') }}
),

vintage_units as (
    select adcode
    from {{ ref('seed_division_units') }}
    where {{ var('boundary_vintage') }} between valid_from and coalesce(valid_to, {{ var('code_table_last_year') }})
)

select crosswalk.*
from crosswalk
where (crosswalk.vintage_adcode is null and crosswalk.rule not in ('split', 'created_after_vintage'))
   or (crosswalk.vintage_adcode is not null
       and crosswalk.vintage_adcode not in (select adcode from vintage_units))
