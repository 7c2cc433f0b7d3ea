{#- AI firms per city-year: operating stock at year end (registered on or before 31 December and not
    deregistered by then), new registrations during the year, and deregistrations. The registry export
    is a snapshot naming today's units (var code_table_last_year), mapped onto the boundary vintage. -#}
with

spine as (
    select * from {{ ref('int_city_years_spined') }}
),

firms as (
    {{ records_to_vintage(ref('int_firms_classified'), var('code_table_last_year')) }}
      and records.is_ai
),

final as (
    select
        spine.adcode,
        spine.year,
        count(firms.firm_id) filter (
            where firms.registered <= make_date(spine.year, 12, 31)
              and (firms.deregistered is null or firms.deregistered > make_date(spine.year, 12, 31))
        ) as ai_firms_operating,
        count(firms.firm_id) filter (where firms.registered_year = spine.year) as ai_firms_new,
        count(firms.firm_id) filter (where firms.deregistered_year = spine.year) as ai_firms_exited
    from spine
    left join firms on firms.adcode = spine.adcode
    group by spine.adcode, spine.year
)

select * from final
