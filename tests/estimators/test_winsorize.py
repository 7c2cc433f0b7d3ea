"""``winsorize`` is the project's one home for winsorising (the replications winsorise their own
estimation samples). These are the cases of the dbt unit test it replaced
(``winsorising_clips_at_the_interpolated_percentiles`` of the removed ``mart_city_year_winsorised``):
101 values 0..100 of one variable, where the linearly interpolated 1st/99th percentiles are 1 and 99
and the 5th/95th are 5 and 95; variables that are null stay null and take no part in the bounds; each
variable is winsorised on its own (the mart partitioned by variable).
"""
import numpy as np
import pandas as pd
import pytest

from analysis.estimators import winsorize

VALUES = np.arange(101, dtype=float)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"adcode": [f"{i:06d}" for i in range(101)], "year": 2020,
                         "carbon_intensity": VALUES, "ln_ai_firms": np.nan})


def test_one_percent_clips_at_the_interpolated_1st_and_99th_percentiles():
    out = winsorize(_frame(), ["carbon_intensity"], lower=0.01)
    expected = np.r_[1.0, np.arange(1.0, 100.0), 99.0]   # 0 -> 1, 100 -> 99, the rest unchanged
    np.testing.assert_array_equal(out["carbon_intensity"].to_numpy(), expected)


def test_five_percent_clips_at_the_interpolated_5th_and_95th_percentiles():
    out = winsorize(_frame(), ["carbon_intensity"], lower=0.05)
    expected = np.r_[np.full(6, 5.0), np.arange(6.0, 95.0), np.full(6, 95.0)]   # 0..5 -> 5, 95..100 -> 95
    np.testing.assert_array_equal(out["carbon_intensity"].to_numpy(), expected)


def test_null_variables_stay_null_and_nulls_do_not_move_the_bounds():
    df = _frame()
    out = winsorize(df, ["carbon_intensity", "ln_ai_firms"], lower=0.05)
    assert out["ln_ai_firms"].isna().all()
    # nulls mixed into the winsorised variable: the bounds are those of the 101 observed values
    padded = pd.concat([df, df.assign(carbon_intensity=np.nan)], ignore_index=True)
    w = winsorize(padded, ["carbon_intensity"], lower=0.05)["carbon_intensity"]
    assert w.isna().sum() == 101
    assert (w.min(), w.max()) == (5.0, 95.0)


def test_each_variable_is_winsorised_on_its_own():
    df = _frame().assign(ln_ai_firms=VALUES * 10)
    out = winsorize(df, ["carbon_intensity", "ln_ai_firms"], lower=0.01)
    assert (out["carbon_intensity"].min(), out["carbon_intensity"].max()) == (1.0, 99.0)
    assert (out["ln_ai_firms"].min(), out["ln_ai_firms"].max()) == (10.0, 990.0)
    pd.testing.assert_frame_equal(df, _frame().assign(ln_ai_firms=VALUES * 10))   # the input is not changed


def test_bounds_must_be_ordered():
    with pytest.raises(ValueError, match="lower < upper"):
        winsorize(_frame(), ["carbon_intensity"], lower=0.6)
