"""fct_city_year: the analysis panel (city x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import CITY_YEAR_KEY, city_year_checks, value_checks

_ID = ["adcode"]
_PILOTS = ("ai_pilot", "smart_city_pilot", "low_carbon_pilot", "ets_pilot", "broadband_china_pilot",
           "national_ai_pilot")
_LOGS = (("ln_ai_firms", "ai_firms"), ("ln_patent_applications", "patent_applications"),
         ("ln_green_applications", "green_applications"),
         ("ln_green_invention_applications", "green_invention_applications"),
         ("ln_green_grants", "green_grants"), ("ln_green_invention_grants", "green_invention_grants"),
         ("ln_ai_attention", "ai_attention"), ("ln_robot_exposure", "robot_exposure"))


def _relative(lhs: str, rhs_fn):
    return lambda df: (df[lhs] - rhs_fn(df)) / rhs_fn(df).abs()


SUITE = MartSuite(
    mart="fct_city_year",
    key=CITY_YEAR_KEY,
    checks=(
        *city_year_checks(),
        *c.complete(["co2_edgar_t", "pm25_ugm3", "gdp_10k_yuan", "pop_resident_10k", "ai_firms", "ln_ai_firms",
                     *_PILOTS, "patent_applications", "pollution_index_000", "pollution_carbon_index_001"]),
        *value_checks(documented_columns("fct_city_year")),
        # treatment timing
        c.constant_within("ai_pilot_cohort", ["adcode"], name="cohort_constant_within_city"),
        *[c.non_decreasing(p, _ID, "year", "a pilot is never revoked (staggered adoption)") for p in _PILOTS],
        c.identity("ai_pilot_from_cohort", lambda df: df["ai_pilot"] - (df["year"] >= df["ai_pilot_cohort"])
                   .fillna(False).astype("int64"), 0, "ai_pilot = 1 exactly from ai_pilot_cohort on"),
        c.lag_of("ai_pilot_lag1", "ai_pilot", _ID, "year"),
        # plausible changes
        c.year_on_year("co2_edgar_t", _ID, "year"),
        c.year_on_year("co2_ceads_t", _ID, "year"),
        c.year_on_year("gdp_10k_yuan", _ID, "year"),
        # definitions
        *[c.log1p_of(log, level, tol=1e-9) for log, level in _LOGS],
        c.identity("definition:carbon_intensity", _relative("carbon_intensity", lambda df: df["co2_edgar_t"]
                   / df["gdp_10k_yuan"]), 1e-9, "carbon_intensity = co2_edgar_t / gdp_10k_yuan"),
        c.identity("definition:gdp_per_capita_yuan", _relative("gdp_per_capita_yuan", lambda df: df["gdp_10k_yuan"]
                   / df["pop_resident_10k"]), 1e-9,
                   "gdp_per_capita_yuan = gdp_10k_yuan / pop_resident_10k (the 10^4 cancel)"),
        c.identity("green_within_total", lambda df: (df["green_applications"] - df["patent_applications"]).clip(lower=0),
                   0, "green_applications <= patent_applications"),
    ),
    drift_columns=("co2_edgar_t", "pm25_ugm3", "gdp_10k_yuan", "pop_resident_10k", "ai_firms", "carbon_intensity",
                   "pollution_index_000", "pollution_carbon_index_001", "robot_exposure", "ai_pilot"),
)
