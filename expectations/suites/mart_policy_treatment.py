"""mart_policy_treatment: treated flag, cohort and relative time (city x year x policy)."""
from __future__ import annotations

from expectations import checks as c
from expectations.suite import MartSuite
from expectations.suites._common import year_window

_KEY = ("adcode", "year", "policy")
_UNIT = ["policy", "adcode"]
POLICIES = ["ai_pilot", "national_ai_pilot", "smart_city", "low_carbon", "broadband_china", "ets_pilot"]



def _relative_time_gap(df):
    """relative_time - (year - cohort); 0 where both are null, 1 where only one is."""
    got = df["relative_time"].astype("float64")
    want = (df["year"] - df["cohort"]).astype("float64")
    gap = got - want
    gap[got.isna() & want.isna()] = 0.0
    gap[got.isna() != want.isna()] = 1.0
    return gap


SUITE = MartSuite(
    mart="mart_policy_treatment",
    key=_KEY,
    checks=(
        c.unique_key(_KEY),
        *c.complete([*_KEY, "treated", "ever_treated"]),
        c.row_count_at_least(1),
        c.matches("adcode", r"^\d{6}$"),
        c.in_set("policy", POLICIES),
        c.in_set("treated", [0, 1], name="flag:treated"),
        c.between("year", *year_window(), "dbt vars first_year / last_year"),
        c.between("cohort", 2000, year_window()[1] + 10, "pilot lists 2008-2023"),
        c.balanced_panel("adcode", "year", within=["policy"]),
        c.constant_within("cohort", _UNIT, name="cohort_constant_within_city"),
        c.constant_within("ever_treated", _UNIT, name="ever_treated_constant_within_city"),
        c.non_decreasing("treated", _UNIT, "year", "staggered adoption: a pilot is never revoked"),
        c.identity("treated_from_cohort", lambda df: df["treated"] - (df["year"] >= df["cohort"])
                   .fillna(False).astype("int64"), 0, "treated = 1 exactly from the cohort year on"),
        c.identity("relative_time", _relative_time_gap, 0,
                   "relative_time = year - cohort (null exactly when the cohort is)"),
        c.identity("ever_treated_iff_cohort", lambda df: (df["ever_treated"] != df["cohort"].notna()).astype("float64"),
                   0, "ever_treated = cohort is not null"),
    ),
    drift_columns=("treated", "cohort"),
)
