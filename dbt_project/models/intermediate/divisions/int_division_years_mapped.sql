{#-
  The crosswalk onto the boundary vintage: one row per (code, data year) a raw table may carry, with the
  unit of the vintage (var boundary_vintage: the code table of 31 Dec of that year) the row belongs to
  and the rule that took it there. One rule per kind of change (seed_division_changes):

    unchanged   the code's period is itself a unit of the vintage
    renamed     linked to the vintage's unit through renames only (襄樊 -> 襄阳): one to one
    new_code    through a new code (毕节地区 522400 -> 毕节市 520500; 儋州 469003 -> 460400): one to one
    merged      the whole unit was absorbed into a unit of the vintage before it (莱芜 -> 济南 in 2018):
                its extensive values are summed into the successor's, ratios recomputed from the sums
    split       dissolved with no single successor (巢湖 2011): kept out of the panel
    created_after_vintage   a unit formed after the vintage from parts of several: kept out

  A row's data years are the unit's code tables plus the year in force of the change that ended it
  (seed_division_units: a unit replaced during a year still describes most of it). `required` marks
  the constituents listed in the table of that year (strictly): a merged unit's value is only complete
  when every required constituent reported it (harmonise_to_vintage). in_panel: the vintage unit has a
  polygon in the boundaries (raw.city_boundaries); units without one (autonomous prefectures, directly
  administered county-level units in the default world) are kept out with the reason.
-#}
{%- set vintage = var('boundary_vintage') -%}
{%- set last_table = var('code_table_last_year') -%}
with recursive

units as (
    select
        adcode,
        name_zh,
        level,
        valid_from,
        valid_to,
        coalesce(valid_to, {{ last_table }}) as table_to
    from {{ ref('seed_division_units') }}
),

changes as (
    select * from {{ ref('seed_division_changes') }}
),

boundaries as (
    select adcode from {{ ref('stg_boundaries__cities') }}
),

-- the period that follows a period through the change in force the year after its last table
successors as (
    select
        units.adcode,
        units.valid_from,
        changes.kind,
        changes.year_in_force,
        following.adcode as next_adcode,
        following.valid_from as next_valid_from
    from units
    inner join changes
        on changes.old_adcode = units.adcode
        and changes.year_in_force = units.table_to + 1
        and changes.kind in ('rename', 'new_code', 'merge', 'split', 'abolition')
    left join units as following
        on following.adcode = changes.new_adcode
        and changes.year_in_force between following.valid_from and following.table_to
),

one_to_one as (
    select * from successors where kind in ('rename', 'new_code')
),

-- renames and new codes as edges in both directions
edges as (
    select adcode, valid_from, next_adcode as to_adcode, next_valid_from as to_valid_from, kind, 'forward' as direction
    from one_to_one
    union all
    select next_adcode, next_valid_from, adcode, valid_from, kind, 'backward'
    from one_to_one
),

-- every period reachable through renames and new codes, forwards and backwards: the unit's lineage
lineage(adcode, valid_from, at_adcode, at_valid_from, kinds, direction) as (
    select adcode, valid_from, adcode, valid_from, '', 'self' from units
    union all
    select lineage.adcode, lineage.valid_from, edges.to_adcode, edges.to_valid_from,
           lineage.kinds || edges.kind || ' ', edges.direction
    from lineage
    inner join edges
        on edges.adcode = lineage.at_adcode and edges.valid_from = lineage.at_valid_from
        and (lineage.direction = 'self' or lineage.direction = edges.direction)
),

-- the member of each period's lineage listed in the vintage's table
in_vintage as (
    select
        lineage.adcode,
        lineage.valid_from,
        lineage.at_adcode as vintage_adcode,
        case
            when lineage.direction = 'self' then 'unchanged'
            when lineage.kinds like '%new_code%' then 'new_code'
            else 'renamed'
        end as rule
    from lineage
    inner join units as member
        on member.adcode = lineage.at_adcode and member.valid_from = lineage.at_valid_from
    where {{ vintage }} between member.valid_from and member.table_to
),

-- the last period of each lineage, and the change that ended it (merge, split, abolition)
heads as (
    select
        lineage.adcode,
        lineage.valid_from,
        successors.kind as end_kind,
        successors.year_in_force as end_year,
        successors.next_adcode,
        successors.next_valid_from
    from lineage
    inner join successors
        on successors.adcode = lineage.at_adcode and successors.valid_from = lineage.at_valid_from
    where lineage.direction in ('self', 'forward') and successors.kind in ('merge', 'split', 'abolition')
),

-- a lineage merged (before the vintage) into another: follow the merges to a lineage of the vintage
chase(adcode, valid_from, at_adcode, at_valid_from, depth) as (
    select adcode, valid_from, next_adcode, next_valid_from, 1
    from heads
    where end_kind = 'merge' and end_year <= {{ vintage }}
    union all
    select chase.adcode, chase.valid_from, heads.next_adcode, heads.next_valid_from, chase.depth + 1
    from chase
    inner join heads on heads.adcode = chase.at_adcode and heads.valid_from = chase.at_valid_from
    where heads.end_kind = 'merge' and heads.end_year <= {{ vintage }} and chase.depth < 10
),

merged as (
    select distinct chase.adcode, chase.valid_from, in_vintage.vintage_adcode, 'merged' as rule
    from chase
    inner join in_vintage on in_vintage.adcode = chase.at_adcode and in_vintage.valid_from = chase.at_valid_from
),

mapped as (
    select
        units.adcode,
        units.name_zh,
        units.level,
        units.valid_from,
        units.table_to,
        -- a replaced unit's rows are read for the year its change came into force
        case when units.valid_to is null then {{ last_table }} else units.valid_to + 1 end as data_to,
        coalesce(in_vintage.vintage_adcode, merged.vintage_adcode) as vintage_adcode,
        coalesce(
            in_vintage.rule,
            merged.rule,
            case when heads.end_kind = 'split' then 'split' end,
            case when heads.end_kind = 'abolition' then 'abolished' end,
            case when units.valid_from > {{ vintage }} then 'created_after_vintage' end,
            'no_unit_of_the_vintage'
        ) as rule,
        heads.end_year
    from units
    left join in_vintage using (adcode, valid_from)
    left join merged using (adcode, valid_from)
    left join heads using (adcode, valid_from)
),

years as (
    select unnest(range(2000, {{ last_table }} + 1)) as year
),

expanded as (
    select
        mapped.adcode,
        years.year,
        mapped.name_zh,
        mapped.level,
        mapped.vintage_adcode,
        mapped.rule,
        years.year <= mapped.table_to as required,
        -- where a code carries two names in one year (襄樊 / 襄阳 in 2010), the listed one
        row_number() over (partition by mapped.adcode, years.year order by years.year <= mapped.table_to desc,
                           mapped.valid_from desc) as preference
    from mapped
    inner join years on years.year between mapped.valid_from and mapped.data_to
),

final as (
    select
        ---------- ids
        expanded.adcode,
        expanded.year,
        ---------- the unit the code names that year
        expanded.name_zh,
        expanded.level,
        expanded.required,
        ---------- the vintage
        expanded.vintage_adcode,
        expanded.rule,
        boundaries.adcode is not null as in_panel,
        case
            when expanded.rule = 'split' then 'dissolved with no single successor (split)'
            when expanded.rule = 'created_after_vintage' then 'formed after the boundary vintage from parts of its units'
            when expanded.rule in ('abolished', 'no_unit_of_the_vintage') then 'no unit of the boundary vintage'
            when boundaries.adcode is null then 'no polygon in the boundaries (' || expanded.level || ')'
        end as out_of_panel_reason,
        count(*) filter (where expanded.required) over (partition by expanded.vintage_adcode, expanded.year)
            as n_required
    from expanded
    left join boundaries on boundaries.adcode = expanded.vintage_adcode
    where expanded.preference = 1
)

select * from final
