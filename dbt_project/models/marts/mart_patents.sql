{#- Patent counts per city-year (applications by application year, grants by grant year) and
    ln(1 + count) transforms (the studies take logs of counts that can be zero). -#}
with

counts as (
    select * from {{ ref('int_patents_counted') }}
),

final as (
    select
        ---------- ids
        adcode,
        year,
        ---------- applications
        applications,
        invention_applications,
        utility_applications,
        green_applications,
        green_invention_applications,
        green_utility_applications,
        ---------- grants
        grants,
        invention_grants,
        utility_grants,
        green_grants,
        green_invention_grants,
        ---------- logs
        ln(1 + applications) as ln_applications,
        ln(1 + green_applications) as ln_green_applications,
        ln(1 + green_invention_applications) as ln_green_invention_applications,
        ln(1 + green_grants) as ln_green_grants,
        ln(1 + green_invention_grants) as ln_green_invention_grants
    from counts
)

select * from final
