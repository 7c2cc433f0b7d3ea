{#-
  boundary_break per city-year of the panel: true where the city's territory in that year may differ from
  its territory in the boundary vintage, so that a value reported for the city then does not describe
  the vintage's polygon. From seed_division_changes, for a change in force in year T (its first code
  table):
    split       the receivers (合肥, 芜湖, 马鞍山 before 2011: 巢湖 held part of their vintage territory)
    transfer    both units (成都 and 资阳 before 2016: 简阳 moved); a minor_transfer (a few towns) flags nothing
    creation    the unit that gave territory, and the new unit (中卫 and 吴忠, 固原 in 2003)
    merge       the successor in year T only: summing the absorbed unit restores the territory in the
                years before (int_division_years_mapped), but in T a source may report either
With the vintage V at or after T the years up to T are flagged (T itself is ambiguous: the data of
a year of change may describe the old or the new territory); with V before T, the years from T on.
Renames and new codes change no territory and flag nothing. Rasters are summed or averaged over the
vintage's polygons in every year and are comparable across a break; yearbook, CEADs, patent and
report values are not.
-#}
{%- set vintage = var('boundary_vintage') -%}
with

spine as (
    select * from {{ ref('int_city_years_spined') }}
),

mapped as (
    select * from {{ ref('int_division_years_mapped') }}
),

changes as (
    select * from {{ ref('seed_division_changes') }}
),

-- the units whose territory a change altered, by their code before (T - 1) or after (T) it (not minor
-- transfers of a few towns)
affected as (
    select year_in_force, kind, old_name, new_name, new_adcode as adcode, year_in_force as named_in
    from changes
    where kind in ('split', 'transfer', 'creation', 'merge')
    union all
    select year_in_force, kind, old_name, new_name, old_adcode, year_in_force - 1
    from changes
    where kind in ('transfer', 'creation') and old_adcode is not null
),

-- ... and the units of the vintage they are
affected_in_vintage as (
    select
        mapped.vintage_adcode as adcode,
        affected.year_in_force,
        affected.kind,
        affected.kind || ' ' || affected.year_in_force || ': ' || coalesce(affected.old_name, '?')
            || ' -> ' || affected.new_name as description
    from affected
    inner join mapped on mapped.adcode = affected.adcode and mapped.year = affected.named_in
    where mapped.vintage_adcode is not null
),

breaks as (
    select
        spine.adcode,
        spine.year,
        string_agg(distinct affected_in_vintage.description, '; '
                   order by affected_in_vintage.description) as boundary_break_reason
    from spine
    inner join affected_in_vintage
        on affected_in_vintage.adcode = spine.adcode
        and (
            (affected_in_vintage.kind = 'merge' and spine.year = affected_in_vintage.year_in_force)
            or (affected_in_vintage.kind != 'merge' and {{ vintage }} >= affected_in_vintage.year_in_force
                and spine.year <= affected_in_vintage.year_in_force)
            or ({{ vintage }} < affected_in_vintage.year_in_force and spine.year >= affected_in_vintage.year_in_force)
        )
    group by spine.adcode, spine.year
),

final as (
    select
        spine.adcode,
        spine.year,
        breaks.adcode is not null as boundary_break,
        breaks.boundary_break_reason
    from spine
    left join breaks using (adcode, year)
)

select * from final
