"""Checks shared by the city-year marts, and the value ranges the studies' descriptive statistics imply.

Ranges are deliberately wider than the printed min-max (roughly 1.5-3x, never tighter than the
physical bounds): they catch unit errors (x 10^4), sign errors and broken joins, not unusual cities.
The source of every bound is in ``RANGES`` beside it.
"""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import dbt_vars

CITY_YEAR_KEY = ("adcode", "year")


def year_window() -> tuple[int, int]:
    v = dbt_vars()
    return int(v.get("first_year", 2003)), int(v.get("last_year", 2023))


def city_year_checks() -> list[c.Check]:
    """Key (adcode, year) unique and complete, 6-digit adcodes, years in the dbt window, balanced panel."""
    first, last = year_window()
    return [
        c.unique_key(CITY_YEAR_KEY),
        *c.complete(CITY_YEAR_KEY),
        c.matches("adcode", r"^\d{6}$"),
        c.between("year", first, last, "dbt vars first_year / last_year"),
        c.balanced_panel("adcode", "year"),
        c.row_count_at_least(1),
    ]


# column -> (min, max, where the bound comes from)
RANGES: dict[str, tuple[float | None, float | None, str]] = {
    # emissions
    "co2_edgar_t": (0, 1e9, "city CO2 below 1 Gt (largest Chinese cities emit ~0.3 Gt)"),
    "co2_ceads_t": (0, 1e9, "city CO2 below 1 Gt"),
    "ln_co2_ceads_10k_t": (0, 12, "s002 Table 1 CO2 (ln 10^4 t) 3.53-8.97"),
    "ln_co2_edgar_10k_t": (0, 12, "s002 Table 1 CO2 (ln 10^4 t) 3.53-8.97"),
    "carbon_intensity": (0, 50, "t CO2 per 10^4 yuan; Chinese cities ~0.1-15"),
    "co2_per_gdp_t_per_10k_yuan": (0, 50, "t CO2 per 10^4 yuan; Chinese cities ~0.1-15"),
    "co2_ceads_per_gdp_t_per_10k_yuan": (0, 50, "t CO2 per 10^4 yuan; Chinese cities ~0.1-15"),
    "co2_per_capita_t": (0, 200, "t per person; Chinese cities ~1-60 (coal cities higher)"),
    "pm25_ugm3": (0, 200, "annual mean PM2.5, ug/m3; Chinese city maxima ~120"),
    "industrial_so2_t": (0, 2e6, "t; largest city ~0.5 Mt"),
    "ln_industrial_so2": (0, 15, "ln t"),
    "industrial_wastewater_t": (0, 5e9, "t; largest city ~1 Gt"),
    "industrial_dust_t": (0, 2e6, "t"),
    "industrial_nox_t": (0, 2e6, "t"),
    # AI, robots, patents
    "ln_ai_firms": (0, 14, "s000 Table 2 AI 0-11.29, s001 AI 0.69-11.54"),
    "ln_ai_attention": (0, 10, "s004 threshold values of AI_concern 1.7-5.7"),
    "ai_attention": (0, 1e5, "Baidu daily average"),
    "robot_exposure": (0, 50, "robots per 1,000 workers; s003 AI 0.025-0.872"),
    "robot_exposure_us": (0, 50, "robots per 1,000 US workers"),
    "robot_exposure_lag1": (0, 50, "robots per 1,000 workers"),
    "ln_robot_exposure": (0, 4, "ln(1 + robots per 1,000 workers)"),
    "ln_green_applications": (0, 14, "s002 Table 1 Green 0-8.30"),
    "ln_green_invention_applications": (0, 14, "s001 Table 1 Lngrva 0-10.08"),
    # economy
    "gdp_10k_yuan": (0, 1e10, "10^4 yuan; largest city GDP ~4.7e8"),
    "gdp_per_capita_yuan": (1_000, 1_000_000, "yuan per person; e^8.39-e^13.19 (s001 Pgdp)"),
    "ln_gdp_per_capita": (7, 14, "s001 Table 1 Pgdp 8.39-13.19, s002 lnpgdp 9.35-11.10"),
    "pop_resident_10k": (0, 5_000, "10^4 persons; Chongqing ~3,200"),
    "pop_hukou_10k": (0, 5_000, "10^4 persons"),
    "ln_pop_hukou": (9, 18, "ln persons"),
    "tertiary_secondary_ratio": (0, 20, "s001 Table 1 Ind 0.11-6.38"),
    "industrial_structure_level": (1, 3, "1 x primary + 2 x secondary + 3 x tertiary shares"),
    "human_capital": (0, 0.5, "s001 Table 1 Hc 0-0.185"),
    "fdi_gdp_ratio": (0, 1, "s000 Table 2 Open 0-0.2"),
    "fdi_usd_gdp_ratio_printed": (0, 0.2, "s001 Table 1 Open 0-0.029"),
    "trade_gdp_ratio": (0, 5, "s003 Open 0.008-1.257"),
    "deposits_loans_gdp_ratio": (0, 40, "s000 Fin 0.67-21.3, s001 Fin 0.59-21.3"),
    "loans_gdp_ratio": (0, 25, "loans are part of s000's Fin (max 21.3); s003 Fin 0.74-3.0"),
    "government_expenditure_ratio": (0, 2, "s001 Table 1 Gov 0.044-1.027"),
    "fiscal_decentralization": (0, 0.5, "s000 Table 2 Fd 0.02-0.23"),
    "government_investment_ratio": (0, 1, "fraction of GDP (s001 prints percent: Fiscal 0.01-41.7)"),
    "investment_budget_ratio": (0, 30, "s002 Table 1 gov 0.78-11.22"),
    "market_potential": (0, 2, "s002 Table 1 market 0.16-0.69"),
    "ln_broadband_users": (0, 20, "ln users"),
    "pollution_control_intensity": (0, 0.2, "investment / value added"),
    "night_lights_nw": (0, 200, "VIIRS annual radiance, nW/cm2/sr"),
    "terrain_relief_m": (0, 3_000, "SD of elevation within a city, m"),
    "distance_to_backbone_km": (0, 2_500, "s001 Table 1 IV 0-604.5 km; Tibet/Xinjiang cities farther"),
    "iv_relief_x_digital_words": (0, 3_000, "relief (m) x word share"),
    # province panel (s003)
    "ln_co2_ipcc": (5, 17, "s003 Table 1 Co2 8.62-14.46"),
    "co2_ipcc_10k_t": (0, 5e6, "10^4 t; largest province ~2e5"),
    "openness": (0, 5, "s003 Table 1 Open 0.008-1.257"),
    "population_density": (0, 2, "s003 Table 1 Density 0.001-0.393 (10^4 persons / km2)"),
    "government_intervention": (0, 2, "s003 Table 1 Gov 0.107-0.643"),
    "energy_intensity_tce_per_10k_yuan": (0, 10, "tce per 10^4 yuan; provinces ~0.2-3"),
    "green_patents_per_10k_people": (0, 100, "per 10^4 residents"),
    "industrial_structure_upgrading": (0, 20, "tertiary / secondary value added"),
    "environmental_regulation": (0, 0.5, "investment / value added"),
    "employed_10k": (0, 10_000, "10^4 persons"),
    "energy_10k_tce": (0, 1e6, "10^4 tce; largest province ~4.5e4"),
    "fixed_asset_investment_10k_yuan": (0, 1e10, "10^4 yuan"),
    "investment_10k_yuan": (0, 1e10, "10^4 yuan"),
}

# shares: [0, 1] by construction
SHARES = (
    "secondary_share", "tertiary_share", "industrialization", "urbanization_rate", "natural_resources",
    "education_expenditure_share", "digitalization_index", "environment_word_share", "digital_word_share",
    "energy_structure", "co2_edgar_coverage", "pm25_coverage",
    "pollution_index_000", "pollution_index_000_printed", "pollution_carbon_index_001",
    "wastewater_normalised", "so2_normalised", "dust_normalised", "co2_normalised", "pm25_normalised",
)
FLAGS = ("ai_pilot", "ai_pilot_lag1", "smart_city_pilot", "low_carbon_pilot", "ets_pilot",
         "broadband_china_pilot", "national_ai_pilot", "treated")
COUNTS = ("ai_firms", "ai_firms_operating", "ai_firms_new", "ai_firms_exited", "applications",
          "patent_applications", "invention_applications", "utility_applications", "green_applications",
          "green_invention_applications", "green_utility_applications", "grants", "invention_grants",
          "utility_grants", "green_grants", "green_invention_grants")


def value_checks(columns: list[str] | tuple[str, ...],
                 overrides: dict[str, tuple[float | None, float | None, str]] | None = None) -> list[c.Check]:
    """Range, share, 0/1-flag and non-negative-count checks for the listed columns that have a rule
    (``overrides`` replaces ``RANGES`` entries, e.g. province-sized bounds)."""
    ranges = {**RANGES, **(overrides or {})}
    out: list[c.Check] = []
    for col in columns:
        if col in ranges:
            lo, hi, why = ranges[col]
            out.append(c.between(col, lo, hi, why))
        elif col in SHARES:
            out.append(c.share(col))
        elif col in FLAGS:
            out.append(c.in_set(col, [0, 1], name=f"flag:{col}"))
        elif col in COUNTS:
            out.append(c.between(col, 0, None, "a count"))
        elif col.startswith("ln_") and col[3:] in COUNTS:
            out.append(c.between(col, 0, 25, "ln(1 + count)"))
    return out
