{#- The analysis panel: one row per city and year, every variable of the five studies named once.
    Formulas, units, sources and the studies using each column are in fct_city_year.yml. The
    building blocks it joins are the int_ models of the concerns (intermediate/<concern>/). The cities
    are the units of the boundary vintage (var boundary_vintage); every tabular source has been brought
    onto them in intermediate/divisions/ (renames and new codes one to one, mergers summed, dissolved
    units left out), and boundary_break flags the city-years whose territory differs from the vintage's. -#}
with

spine as (select * from {{ ref('int_city_years_spined') }}),
yb as (select * from {{ ref('int_city_year_indicators_pivoted') }}),
emissions as (select * from {{ ref('int_emissions_intensities_calculated') }}),
indices as (select * from {{ ref('int_pollution_indexed') }}),
ai as (select * from {{ ref('int_ai_development_measured') }}),
patents as (select * from {{ ref('int_patents_counted') }}),
rasters as (select * from {{ ref('int_rasters_pivoted') }}),
reports as (select * from {{ ref('int_gov_reports_scored') }}),
digital as (select * from {{ ref('int_digitalization_indexed') }}),
backbone as (select * from {{ ref('int_backbone_distances_measured') }}),
robots as (
    select unit_code as adcode, year, robot_exposure, robot_exposure_us
    from {{ ref('int_robot_exposure_lagged') }}
    where geo_level = 'city'
),
policy as (
    select
        adcode,
        year,
        max(treated) filter (where policy = 'ai_pilot') as ai_pilot,
        max(cohort) filter (where policy = 'ai_pilot') as ai_pilot_cohort,
        max(treated) filter (where policy = 'smart_city') as smart_city_pilot,
        max(treated) filter (where policy = 'low_carbon') as low_carbon_pilot,
        max(treated) filter (where policy = 'ets_pilot') as ets_pilot,
        max(treated) filter (where policy = 'broadband_china') as broadband_china_pilot,
        max(treated) filter (where policy = 'national_ai_pilot') as national_ai_pilot
    from {{ ref('int_policy_treatments_timed') }}
    group by adcode, year
),
rates as (select year, usd_cny from {{ ref('seed_usd_cny_rates') }}),
breaks as (select * from {{ ref('int_city_years_boundary_flagged') }}),

final as (
    select
        ---------- ids
        spine.adcode,
        spine.year,
        ---------- boundaries (the units of the boundary vintage: int_division_years_mapped)
        breaks.boundary_break,
        breaks.boundary_break_reason,
        ---------- emissions and pollution
        emissions.co2_edgar_t,
        emissions.co2_ceads_t,
        ln(emissions.co2_ceads_t / 1e4) as ln_co2_ceads_10k_t,
        ln(emissions.co2_edgar_t / 1e4) as ln_co2_edgar_10k_t,
        emissions.co2_per_gdp_t_per_10k_yuan as carbon_intensity,
        emissions.co2_per_capita_t,
        emissions.pm25_ugm3,
        emissions.industrial_so2_t,
        ln(emissions.industrial_so2_t) as ln_industrial_so2,
        emissions.industrial_wastewater_t,
        emissions.industrial_dust_t,
        emissions.industrial_nox_t,
        indices.pollution_index_000,
        indices.pollution_index_000_printed,
        indices.pollution_carbon_index_001,
        ---------- AI
        ai.ai_firms_operating as ai_firms,
        ai.ln_ai_firms,
        ai.ai_firms_new,
        ai.ai_attention,
        ai.ln_ai_attention,
        robots.robot_exposure,
        ln(1 + robots.robot_exposure) as ln_robot_exposure,
        robots.robot_exposure_us,
        ---------- policies (0/1)
        coalesce(policy.ai_pilot, 0) as ai_pilot,
        coalesce(lag(policy.ai_pilot) over (partition by spine.adcode order by spine.year), 0) as ai_pilot_lag1,
        policy.ai_pilot_cohort,
        coalesce(policy.smart_city_pilot, 0) as smart_city_pilot,
        coalesce(policy.low_carbon_pilot, 0) as low_carbon_pilot,
        coalesce(policy.ets_pilot, 0) as ets_pilot,
        coalesce(policy.broadband_china_pilot, 0) as broadband_china_pilot,
        coalesce(policy.national_ai_pilot, 0) as national_ai_pilot,
        ---------- innovation
        patents.applications as patent_applications,
        patents.ln_applications as ln_patent_applications,
        patents.green_applications,
        patents.ln_green_applications,
        patents.green_invention_applications,
        patents.ln_green_invention_applications,
        patents.green_grants,
        patents.ln_green_grants,
        patents.green_invention_grants,
        patents.ln_green_invention_grants,
        ---------- economy and structure
        yb.gdp_10k_yuan,
        yb.gdp_10k_yuan / nullif(yb.pop_resident_10k, 0) as gdp_per_capita_yuan,  -- 10^4 yuan / 10^4 persons
        ln(yb.gdp_10k_yuan / nullif(yb.pop_resident_10k, 0)) as ln_gdp_per_capita,
        yb.gdp_secondary_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as secondary_share,
        yb.gdp_tertiary_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as tertiary_share,
        yb.gdp_tertiary_10k_yuan / nullif(yb.gdp_secondary_10k_yuan, 0) as tertiary_secondary_ratio,
        (yb.gdp_primary_10k_yuan + 2 * yb.gdp_secondary_10k_yuan + 3 * yb.gdp_tertiary_10k_yuan)
            / nullif(yb.gdp_10k_yuan, 0) as industrial_structure_level,
        yb.industry_va_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as industrialization,
        ---------- population
        yb.pop_resident_10k,
        yb.pop_hukou_10k,
        ln(yb.pop_hukou_10k * 1e4) as ln_pop_hukou,
        yb.pop_urban_10k / nullif(yb.pop_resident_10k, 0) as urbanization_rate,
        yb.college_students_10k / nullif(yb.pop_resident_10k, 0) as human_capital,
        yb.mining_employed_10k / nullif(yb.employed_10k, 0) as natural_resources,
        ---------- openness, finance, government
        yb.fdi_10k_usd * rates.usd_cny / nullif(yb.gdp_10k_yuan, 0) as fdi_gdp_ratio,
        yb.fdi_10k_usd / nullif(yb.gdp_10k_yuan, 0) as fdi_usd_gdp_ratio_printed,
        yb.trade_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as trade_gdp_ratio,
        (yb.deposits_10k_yuan + yb.loans_10k_yuan) / nullif(yb.gdp_10k_yuan, 0) as deposits_loans_gdp_ratio,
        yb.loans_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as loans_gdp_ratio,
        yb.budget_expenditure_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as government_expenditure_ratio,
        yb.budget_revenue_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as fiscal_decentralization,
        yb.government_investment_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as government_investment_ratio,
        yb.fixed_asset_investment_10k_yuan / nullif(yb.budget_expenditure_10k_yuan, 0) as investment_budget_ratio,
        yb.education_expenditure_10k_yuan / nullif(yb.budget_expenditure_10k_yuan, 0) as education_expenditure_share,
        yb.retail_sales_10k_yuan / nullif(yb.gdp_10k_yuan, 0) as market_potential,
        ln(yb.broadband_users_10k * 1e4) as ln_broadband_users,
        digital.digitalization_index,
        yb.pollution_control_investment_10k_yuan / nullif(yb.industry_va_10k_yuan, 0) as pollution_control_intensity,
        ---------- text measures
        reports.environment_word_share,
        reports.digital_word_share,
        ---------- geography and instruments
        rasters.night_lights_nw,
        rasters.elevation_std_m as terrain_relief_m,
        rasters.elevation_std_m * reports.digital_word_share as iv_relief_x_digital_words,
        backbone.distance_to_backbone_km
    from spine
    left join yb using (adcode, year)
    left join emissions using (adcode, year)
    left join indices using (adcode, year)
    left join ai using (adcode, year)
    left join patents using (adcode, year)
    left join rasters using (adcode, year)
    left join reports using (adcode, year)
    left join digital using (adcode, year)
    left join robots using (adcode, year)
    left join policy using (adcode, year)
    left join backbone using (adcode)
    left join rates using (year)
    left join breaks using (adcode, year)
)

select * from final
