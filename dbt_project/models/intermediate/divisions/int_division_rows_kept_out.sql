{#- The rows of the tabular sources that the crosswalk keeps out of the panel, with the reason: units
    dissolved with no single successor (巢湖 to 2011), units without a polygon in the boundaries
    (autonomous prefectures, leagues and directly administered county-level units in the default world;
    a unit beyond the tiny world), units formed after the vintage, and pilot listings of units later
    absorbed (a listing is not carried to the successor). One row per source, code, year and reason. -#}
with

crosswalk as (
    select * from {{ ref('int_division_years_mapped') }}
),

source_rows as (
    select 'yearbook' as source, adcode, year, year as named_in
    from {{ ref('stg_yearbook__indicators') }}
    where not is_province and scope = '{{ var("yearbook_scope") }}'
    union all
    select 'ceads', adcode, year, year from {{ ref('stg_ceads__city_co2') }}
    union all
    select 'patents', adcode, apply_year, apply_year from {{ ref('stg_patents__applications') }}
    union all
    select 'ai_firms', adcode, registered_year, {{ var('code_table_last_year') }} from {{ ref('stg_ai_firms__firms') }}
    union all
    select 'gov_reports', adcode, year, year from {{ ref('stg_gov_reports__reports') }}
    union all
    select 'baidu_index', adcode, year, {{ var('code_table_last_year') }} from {{ ref('stg_baidu_index__city_year') }}
    union all
    select 'employment', geo_code, base_year, base_year
    from {{ ref('stg_employment__base_year') }}
    where geo_level = 'city'
    union all
    select 'policy_lists', adcode, first_year, first_year from {{ ref('stg_policy_lists__pilots') }}
),

kept_out as (
    select
        ---------- ids
        source_rows.source,
        source_rows.adcode,
        source_rows.year,
        ---------- the unit and why it is out
        crosswalk.name_zh,
        crosswalk.rule,
        crosswalk.vintage_adcode,
        coalesce(crosswalk.out_of_panel_reason,
                 'listing of a unit later merged into ' || crosswalk.vintage_adcode || ': not carried over') as reason,
        ---------- size
        count(*) as n_rows
    from source_rows
    inner join crosswalk on crosswalk.adcode = source_rows.adcode and crosswalk.year = source_rows.named_in
    where not crosswalk.in_panel
       or (source_rows.source = 'policy_lists'
           and crosswalk.rule not in ({% for rule in one_to_one_division_rules() %}'{{ rule }}'{{ ", " if not loop.last }}{% endfor %}))
    group by all
)

select * from kept_out
