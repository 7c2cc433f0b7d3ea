"""mart_robot_exposure: shift-share robot exposure, its lag and the US instrument (province/city x year)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite, documented_columns
from expectations.suites._common import value_checks, year_window

_KEY = ("geo_level", "unit_code", "year")
_UNIT = ["geo_level", "unit_code"]
_WHY = ("the robot stocks behind it are cumulative (operational stock), and the 2004 employment "
        "shares are fixed")

SUITE = MartSuite(
    mart="mart_robot_exposure",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete([*_KEY, "robot_exposure", "robot_exposure_us"]),
        c.row_count_at_least(1),
        c.in_set("geo_level", ["province", "city"]),
        c.matches("unit_code", r"^\d{6}$"),
        c.between("year", 1990, year_window()[1], "IFR series from 1993; dbt var last_year"),
        c.balanced_panel("unit_code", "year", within=["geo_level"]),
        *value_checks(documented_columns("mart_robot_exposure")),
        c.non_decreasing("robot_exposure", _UNIT, "year", _WHY),
        c.non_decreasing("robot_exposure_us", _UNIT, "year", _WHY),
        c.lag_of("robot_exposure_lag1", "robot_exposure", _UNIT, "year"),
    ),
    drift_columns=("robot_exposure", "robot_exposure_us"),
)
