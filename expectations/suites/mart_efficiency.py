"""mart_efficiency: inputs, outputs and scores of the efficiency measures (unit x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite
from expectations.suites._common import RANGES, year_window

_KEY = ("unit_level", "unit_code", "year")
_INPUTS = ("investment_10k_yuan", "employed_10k", "energy_10k_tce", "gdp_10k_yuan", "co2_t")

SUITE = MartSuite(
    mart="mart_efficiency",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete([*_KEY, *_INPUTS]),
        c.row_count_at_least(1),
        c.in_set("unit_level", ["province", "city"]),
        c.matches("unit_code", r"^\d{6}$"),
        c.between("year", *year_window(), "dbt vars first_year / last_year"),
        c.balanced_panel("unit_code", "year", within=["unit_level"]),
        # SBM / GML need strictly positive inputs and outputs
        *[c.positive(col, "SBM inputs and outputs must be positive") for col in _INPUTS],
        *[c.between(col, 0, RANGES[col][1], RANGES[col][2]) for col in
          ("investment_10k_yuan", "employed_10k", "energy_10k_tce", "gdp_10k_yuan")],
        c.between("co2_t", 0, 5e10, "t; provinces up to ~2 Gt"),
        c.between("so2_t", 0, None, "emissions"),
        c.between("nox_t", 0, None, "emissions"),
        c.identity("city_bad_outputs_present", lambda df: ((df["unit_level"] == "city")
                   & (df["so2_t"].isna() | df["nox_t"].isna())).astype("float64"), 0,
                   "cities carry SO2 and NOx (GTFEE bad outputs)"),
        c.between("efficiency_score", 0, 5, "s001 Table 1 Gtfe 0.103-1.193 (super-efficiency may exceed 1)"),
        c.between("gml_index", 0, 10, "s003 Table 1 GTFP 0.771-2.557 (year on year)"),
        c.between("gml_efficiency_change", 0, 10, "a ratio of distance functions"),
        c.between("gml_technical_change", 0, 10, "a ratio of distance functions"),
        c.between("gml_cumulative", 0, 100, "product of yearly indices over <= 21 years"),
        c.between("capital_stock_10k_yuan", 0, 1e11, "perpetual inventory, 10^4 yuan"),
        c.identity("gml_is_ec_times_tc", lambda df: (df["gml_index"] - df["gml_efficiency_change"]
                   * df["gml_technical_change"]) / df["gml_index"], 1e-9, "GML = EC x TC"),
        c.year_on_year("co2_t", ["unit_level", "unit_code"], "year"),
    ),
    drift_columns=("co2_t", "gdp_10k_yuan", "energy_10k_tce", "employed_10k"),
)
