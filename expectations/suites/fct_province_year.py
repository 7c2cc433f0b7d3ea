"""fct_province_year: study 003's province panel (province x year)."""
from __future__ import annotations

import numpy as np

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import value_checks, year_window

_KEY = ("province_adcode", "year")
# province-sized bounds where the city ones (expectations.suites._common.RANGES) are too tight
PROVINCE_RANGES = {
    "pop_resident_10k": (0, 20_000, "10^4 persons; Guangdong ~12,700"),
    "gdp_10k_yuan": (0, 5e10, "10^4 yuan; Guangdong ~1.3e9"),
    "employed_10k": (0, 20_000, "10^4 persons"),
}
_ID = ["province_adcode"]

SUITE = MartSuite(
    mart="fct_province_year",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete([*_KEY, "co2_ipcc_10k_t", "robot_exposure", "gdp_10k_yuan", "pop_resident_10k"]),
        c.row_count_at_least(1),
        c.matches("province_adcode", r"^\d{2}0000$"),
        c.between("year", *year_window(), "dbt vars first_year / last_year"),
        c.balanced_panel("province_adcode", "year"),
        *value_checks(documented_columns("fct_province_year"), overrides=PROVINCE_RANGES),
        c.positive("co2_ipcc_10k_t", "ln taken"),
        c.identity("log:ln_co2_ipcc", lambda df: df["ln_co2_ipcc"] - np.log(df["co2_ipcc_10k_t"]), 1e-9,
                   "ln_co2_ipcc = ln(co2_ipcc_10k_t)"),
        c.year_on_year("co2_ipcc_10k_t", _ID, "year"),
        c.year_on_year("gdp_10k_yuan", _ID, "year"),
        c.non_decreasing("robot_exposure", _ID, "year", "cumulative robot stocks, fixed 2004 shares"),
        c.lag_of("robot_exposure_lag1", "robot_exposure", _ID, "year"),
    ),
    drift_columns=("co2_ipcc_10k_t", "gdp_10k_yuan", "robot_exposure", "energy_10k_tce", "pop_resident_10k"),
)
