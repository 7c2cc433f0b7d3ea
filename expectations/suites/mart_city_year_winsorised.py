"""mart_city_year_winsorised: fct_city_year's continuous variables winsorised at 1% and 5% (long format).

Not a balanced panel: the UNPIVOT leaves out null values (CEADs gaps, night lights before 2012).
"""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import year_window

_KEY = ("adcode", "year", "variable")


def _clip_gap(column: str):
    """w - clip(value, min w, max w) within the variable: winsorising only pulls values in to the bounds."""
    def gap(df):
        by = df.groupby("variable")[column]
        clipped = df["value"].clip(lower=by.transform("min"), upper=by.transform("max"))
        return df[column] - clipped
    return gap


def _nested_gap(df):
    """The 5% bounds lie within the 1% bounds (positive part of any overshoot)."""
    by = df.groupby("variable")
    low = (by["value_w01"].transform("min") - by["value_w05"].transform("min")).clip(lower=0)
    high = (by["value_w05"].transform("max") - by["value_w01"].transform("max")).clip(lower=0)
    return low + high


def _null_pattern(df):
    return ((df["value"].isna() != df["value_w01"].isna()) | (df["value"].isna() != df["value_w05"].isna())
            ).astype("float64")


def _variables():
    return [col for col in documented_columns("fct_city_year") if col not in ("adcode", "year")]


SUITE = MartSuite(
    mart="mart_city_year_winsorised",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete(_KEY),
        c.row_count_at_least(1),
        c.matches("adcode", r"^\d{6}$"),
        c.between("year", *year_window(), "dbt vars first_year / last_year"),
        c.in_set("variable", _variables(), name="variable_of_fct_city_year"),
        c.identity("nulls_kept", _null_pattern, 0, "value, value_w01 and value_w05 are null together"),
        c.identity("winsorised_w01_is_clipped_value", _clip_gap("value_w01"), 1e-9,
                   "value_w01 = value clipped to the variable's 1% bounds"),
        c.identity("winsorised_w05_is_clipped_value", _clip_gap("value_w05"), 1e-9,
                   "value_w05 = value clipped to the variable's 5% bounds"),
        c.identity("w05_within_w01", _nested_gap, 1e-9, "the 5% bounds lie within the 1% bounds"),
    ),
    drift_columns=("value_w05",),
)
