"""Perpetual inventory: closed form on a constant-growth series, deflator rebasing, bad input."""
import numpy as np
import pandas as pd
import pytest

from analysis.measures import capital_stock


def test_hall_jones_start_with_estimated_growth():
    # I_t = I_0 (1+g)^t: the estimated g is exact, K_0 = I_0/(g+delta) (Hall & Jones 1999), then the
    # recursion; K_t / I_t converges to the steady state (1+g)/(g+delta)
    years = np.arange(2000, 2041)
    g, delta = 0.08, 0.1096
    inv = pd.Series(100 * (1 + g) ** (years - 2000), index=years)
    k = capital_stock(inv, pd.Series(1.0, index=years), base_year=2000, depreciation=delta)
    assert k.iloc[0] == pytest.approx(100 / (g + delta), rel=1e-12)
    assert k.iloc[1] == pytest.approx((1 - delta) * 100 / (g + delta) + 108, rel=1e-12)
    assert k.iloc[-1] / inv.iloc[-1] == pytest.approx((1 + g) / (g + delta), rel=1e-3)


def test_recursion_and_deflator_rebase_by_hand():
    years = np.arange(1999, 2004)
    inv = pd.DataFrame({"A": [5.0, 10, 12, 15, 20], "B": [1.0, 2, 2, 3, 3]}, index=years)
    defl = pd.Series([95.0, 100, 105, 110, 120], index=years)  # any base: rebased to 2000 = 1
    k = capital_stock(inv, defl, base_year=2000, depreciation=0.1096, initial=pd.Series({"A": 50.0, "B": 10.0}))
    real_a = np.array([10, 12, 15, 20]) / (np.array([100, 105, 110, 120]) / 100)
    expected = [50.0]
    for v in real_a[1:]:
        expected.append(expected[-1] * (1 - 0.1096) + v)
    np.testing.assert_allclose(k["A"].to_numpy(), expected)
    assert list(k.index) == [2000, 2001, 2002, 2003]  # years before the base are dropped


def test_bad_input():
    years = np.arange(2000, 2005)
    inv = pd.Series([1.0, 2, np.nan, 3, 4], index=years)
    with pytest.raises(ValueError, match="missing investment"):
        capital_stock(inv, pd.Series(1.0, index=years))
    with pytest.raises(ValueError, match="base year 1990"):
        capital_stock(inv.fillna(2), pd.Series(1.0, index=years), base_year=1990)
    with pytest.raises(ValueError, match="gaps"):
        capital_stock(inv.fillna(2).drop(2002), pd.Series(1.0, index=years))
    with pytest.raises(ValueError, match="depreciation"):
        capital_stock(inv.fillna(2), pd.Series(1.0, index=years), depreciation=10.96)
