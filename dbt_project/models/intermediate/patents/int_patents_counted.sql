{#- Patent counts per city-year by application year (applications) and grant year (grants), and
    ln(1 + count) of the counts the studies use (they take logs of counts that can be zero), on the
    boundary vintage's units: the applicant's city is the unit of the year of application, mapped by
    records_to_vintage (an absorbed unit's patents count for its successor). The building block of
    mart_patents and fct_city_year. -#}
with

spine as (
    select * from {{ ref('int_city_years_spined') }}
),

patents as (
    {{ records_to_vintage(ref('int_patents_classified'), 'records.apply_year') }}
),

applications as (
    select
        adcode,
        apply_year as year,
        count(*) as applications,
        count(*) filter (where is_invention) as invention_applications,
        count(*) filter (where patent_type = 'utility') as utility_applications,
        count(*) filter (where is_green) as green_applications,
        count(*) filter (where is_green and is_invention) as green_invention_applications,
        count(*) filter (where is_green and patent_type = 'utility') as green_utility_applications
    from patents
    group by 1, 2
),

grants as (
    select
        adcode,
        grant_year as year,
        count(*) as grants,
        count(*) filter (where is_invention) as invention_grants,
        count(*) filter (where patent_type = 'utility') as utility_grants,
        count(*) filter (where is_green) as green_grants,
        count(*) filter (where is_green and is_invention) as green_invention_grants
    from patents
    where grant_date is not null
    group by 1, 2
),

counted as (
    select
        spine.adcode,
        spine.year,
        coalesce(applications.applications, 0) as applications,
        coalesce(applications.invention_applications, 0) as invention_applications,
        coalesce(applications.utility_applications, 0) as utility_applications,
        coalesce(applications.green_applications, 0) as green_applications,
        coalesce(applications.green_invention_applications, 0) as green_invention_applications,
        coalesce(applications.green_utility_applications, 0) as green_utility_applications,
        coalesce(grants.grants, 0) as grants,
        coalesce(grants.invention_grants, 0) as invention_grants,
        coalesce(grants.utility_grants, 0) as utility_grants,
        coalesce(grants.green_grants, 0) as green_grants,
        coalesce(grants.green_invention_grants, 0) as green_invention_grants
    from spine
    left join applications using (adcode, year)
    left join grants using (adcode, year)
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
    from counted
)

select * from final
