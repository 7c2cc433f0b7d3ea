{#- Generic test: every code is a unit of the national code table of its row's year (seed_division_units,
    data years valid_from .. valid_to + 1: see the seed's conventions). year: the column of the row's
    year, or a fixed year for sources that name today's units (var('code_table_last_year')). -#}
{% test unit_of_its_year(model, column_name, year) %}
with

units as (
    select adcode, valid_from, coalesce(valid_to + 1, {{ var('code_table_last_year') }}) as data_to
    from {{ ref('seed_division_units') }}
),

rows_checked as (
    select distinct {{ column_name }} as adcode, {{ year }} as year
    from {{ model }}
    where {{ column_name }} is not null
)

select rows_checked.*
from rows_checked
where not exists (
    select 1 from units
    where units.adcode = rows_checked.adcode and rows_checked.year between units.valid_from and units.data_to
)
{% endtest %}
