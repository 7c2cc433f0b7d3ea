"""The derived columns behind the checks GX has no expectation for, on small hand-made frames."""
from __future__ import annotations

import numpy as np
import pandas as pd

from expectations import checks as c


def derived(check: c.Check, df: pd.DataFrame) -> pd.Series:
    (fn,) = check.derive.values()
    return fn(df)


def test_row_sums_per_row_group():
    df = pd.DataFrame({"m": ["a", "a", "a", "b"], "i": [1, 1, 2, 1], "w": [0.25, 0.75, 1.0, 0.9]})
    assert derived(c.row_stochastic("w", ["m", "i"]), df).tolist() == [1.0, 1.0, 1.0, 0.9]


def test_asymmetry_is_relative_and_a_missing_transpose_is_infinite():
    df = pd.DataFrame({"m": ["d"] * 3, "i": ["x", "y", "x"], "j": ["y", "x", "z"], "w": [2.0, 2.0, 1.0]})
    out = derived(c.symmetric("w", "i", "j", group=["m"], where=lambda d: d["m"] == "d", name="sym"), df)
    assert out.tolist()[:2] == [0.0, 0.0] and np.isinf(out.iloc[2])


def test_a_cohort_switching_from_null_is_a_change():
    df = pd.DataFrame({"city": [1, 1, 2, 2, 3, 3], "cohort": [None, 2019, 2020, 2020, None, None]})
    out = derived(c.constant_within("cohort", ["city"], name="cohort_constant"), df)
    assert out.tolist() == [2, 2, 1, 1, 1, 1]


def test_year_on_year_ratio_only_between_consecutive_years():
    df = pd.DataFrame({"city": [1, 1, 1, 2], "year": [2001, 2000, 2003, 2000], "co2": [6.0, 1.0, 12.0, 0.0]})
    out = derived(c.year_on_year("co2", ["city"], "year"), df)
    assert out.iloc[0] == 6.0 and np.isnan(out.iloc[1]) and np.isnan(out.iloc[2]) and np.isnan(out.iloc[3])


def test_non_decreasing_change_within_entity_in_period_order():
    df = pd.DataFrame({"u": ["a", "a", "a"], "year": [2002, 2000, 2001], "stock": [3.0, 1.0, 4.0]})
    out = derived(c.non_decreasing("stock", ["u"], "year", "cumulative"), df)
    assert out.tolist()[0] == -1.0 and np.isnan(out.iloc[1]) and out.iloc[2] == 3.0


def test_balanced_panel_counts_missing_periods_within_groups():
    df = pd.DataFrame({"g": ["p", "p", "p", "q"], "e": [1, 1, 2, 1], "t": [1, 2, 1, 5]})
    assert derived(c.balanced_panel("e", "t", within=["g"]), df).tolist() == [0, 0, 1, 0]


def test_every_check_tags_its_expectation_with_its_name_and_severity():
    check = c.share("x").warning()
    exp = check.expectation()
    assert exp.meta["check"] == "share:x" and exp.severity.value == "warning"
    assert c.share("x").expectation().severity.value == "critical"
