"""mart_ai: AI firms (stock, entries, exits), logs and AI attention (city x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.checks import previous_value
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import CITY_YEAR_KEY, city_year_checks, value_checks


def _stock_flow_gap(df):
    """operating_t - operating_{t-1} - (new_t - exited_t): the stock moves only by entries and exits."""
    prev = previous_value(df, "ai_firms_operating", ["adcode"], "year").astype("float64")
    return df["ai_firms_operating"] - prev - (df["ai_firms_new"] - df["ai_firms_exited"])


SUITE = MartSuite(
    mart="mart_ai",
    key=CITY_YEAR_KEY,
    checks=(
        *city_year_checks(),
        *c.complete(["ai_firms_operating", "ai_firms_new", "ai_firms_exited", "ln_ai_firms"]),
        *value_checks(documented_columns("mart_ai")),
        c.identity("stock_flow:ai_firms_operating", _stock_flow_gap, 0,
                   "AI firm stock moves only by entries and exits: S_t = S_{t-1} + new_t - exited_t"),
        c.log1p_of("ln_ai_firms", "ai_firms_operating"),
        c.log1p_of("ln_ai_firms_new", "ai_firms_new"),
        c.log1p_of("ln_ai_attention", "ai_attention"),
    ),
    drift_columns=("ai_firms_operating", "ai_firms_new", "ai_firms_exited", "ai_attention"),
)
