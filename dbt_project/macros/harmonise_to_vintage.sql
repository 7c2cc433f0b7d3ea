{#-
  Rows of a source in the units of their own year (adcode, year) -> rows of the boundary vintage's units,
  by int_division_years_mapped: a renamed or recoded unit's rows become its successor's one to one; an
  absorbed unit's rows are summed into its successor (`sums`: extensive columns only; ratios are
  recomputed from the sums downstream, never averaged); rows of units outside the panel (dissolved with
  no single successor, no polygon of the vintage) are left out (int_division_rows_kept_out lists them).
  A sum is null unless every unit the vintage unit consisted of that year (the code table of 31 Dec:
  `required`) reported the column: a partial sum over a merged territory is not the territory's value.
  naming_year: the year whose code table the source names its units by, when it is not the row's year
  (a snapshot such as the Baidu index, which reports today's regions for every year).
-#}
{% macro harmonise_to_vintage(relation, sums, keys=[], naming_year=none) %}
with

source_rows as (
    select * from {{ relation }}
),

mapped as (
    select
        source_rows.*,
        crosswalk.vintage_adcode,
        crosswalk.required,
        crosswalk.n_required
    from source_rows
    inner join {{ ref('int_division_years_mapped') }} as crosswalk
        on crosswalk.adcode = source_rows.adcode
        and crosswalk.year = {{ naming_year if naming_year is not none else 'source_rows.year' }}
    where crosswalk.in_panel
),

harmonised as (
    select
        vintage_adcode as adcode,
        year,
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {%- for column in sums %}
        case
            when count(distinct adcode) filter (where required and {{ column }} is not null) >= max(n_required)
                then sum({{ column }})
        end as {{ column }},
        {%- endfor %}
        count(distinct adcode) as n_reported_units
    from mapped
    group by vintage_adcode, year{% for key in keys %}, {{ key }}{% endfor %}
)

select * from harmonised
{% endmacro %}

{#-
  Records (one row per patent, firm, listing) -> the vintage's units: the record's code and year
  (year: the column or fixed year its unit is named by) looked up in int_division_years_mapped; `adcode`
  becomes the vintage's unit and `division_rule` says how (unchanged, renamed, new_code, merged).
  Records of units outside the panel are left out (int_division_rows_kept_out lists them); `rules`
  restricts the rules kept (a pilot list keeps one-to-one links only: an absorbed unit's listing does
  not make its successor a pilot).
-#}
{% macro records_to_vintage(relation, year, rules=none) %}
    select
        records.* replace (crosswalk.vintage_adcode as adcode),
        crosswalk.rule as division_rule
    from {{ relation }} as records
    inner join {{ ref('int_division_years_mapped') }} as crosswalk
        on crosswalk.adcode = records.adcode and crosswalk.year = {{ year }}
    where crosswalk.in_panel
    {%- if rules %}
      and crosswalk.rule in ({% for rule in rules %}'{{ rule }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif %}
{% endmacro %}

{#- The rules under which a unit's identity carries over to the vintage unchanged (a listing, a name). -#}
{% macro one_to_one_division_rules() %}
{{ return(['unchanged', 'renamed', 'new_code']) }}
{% endmacro %}
