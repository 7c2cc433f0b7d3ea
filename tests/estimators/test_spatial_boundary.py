"""A spatial parameter whose likelihood peaks at the edge of its interval: the boundary estimate with a
profile-likelihood interval and a warning, not an error."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from analysis.estimators import fit_spatial_panel
from analysis.estimators.spatial import SpatialBoundaryWarning, profile_interval


def test_profile_interval_of_a_likelihood_peaking_at_the_upper_edge():
    negll = lambda r: 50.0 * (r - 2.0) ** 2  # noqa: E731  (maximum of the likelihood beyond 1)
    low, high = profile_interval(negll, 1.0, -1.0, 1.0)
    assert high == 1.0
    assert 2 * (negll(low) - negll(1.0)) == pytest.approx(chi2.ppf(0.95, 1), abs=1e-7)
    assert low == pytest.approx(2.0 - np.sqrt(1.0 + chi2.ppf(0.95, 1) / 100.0), abs=1e-9)
    # a side that never crosses keeps the end of the interval
    assert profile_interval(lambda r: 1e-3 * (r - 2.0) ** 2, 1.0, -1.0, 1.0)[0] == -1.0


N_UNITS = 60


def _ring_panel(n: int = N_UNITS, t: int = 6, seed: int = 0):
    """Data on a ring (each unit's neighbours: the two next to it): y = mu_i + 0.5 x + a large common year
    path + tiny noise, fitted as an SDM with individual effects only. A row-standardised W maps the path
    onto itself, so y - rho W y loses it as rho -> 1 while [x, Wx] explain the rest (0.5 x - 0.5 Wx): the
    concentrated likelihood -n/2 ln(c (1 - rho)^2 + d) + T ln(1 - rho) peaks at
    1 - rho = sqrt(T d / (c (n - T))), within 1e-4 of the edge when the noise d is tiny against the path c
    (the pathology of study 000's individual-FE SDM on a trending pollutant)."""
    rng = np.random.default_rng(seed)
    W = np.zeros((n, n))
    for i in range(n):
        W[i, (i - 1) % n] = W[i, (i + 1) % n] = 0.5
    rows = []
    path = np.cumsum(rng.normal(0, 50.0, t))
    mu = rng.normal(0, 1, n)
    for k in range(t):
        x = rng.normal(size=n)
        y = mu + 0.5 * x + rng.normal(0, 0.01, n) + path[k]
        rows += [(i, 2000 + k, y[i], x[i]) for i in range(n)]
    return pd.DataFrame(rows, columns=["unit", "year", "y", "x"]), W


def test_sdm_at_the_edge_returns_the_boundary_estimate_with_a_profile_interval():
    data, W = _ring_panel()
    with pytest.warns(SpatialBoundaryWarning, match="edge of rho's interval"):
        res = fit_spatial_panel(data, y="y", x=["x"], w=W, w_ids=list(range(N_UNITS)), entity="unit",
                                time="year", model="sdm", effects="individual")
    assert res.info["boundary"] and res.params["rho"] > 0.999
    assert np.isnan(res.bse["rho"]) and np.isfinite(res.bse[["x", "W*x"]]).all()
    low, high = res.conf_int().loc["rho"]
    assert low < res.params["rho"] <= high <= 1.0
    assert (low, high) == res.info["profile_ci"]["rho"]
    # the impacts hold rho fixed: their draws have finite spreads
    eff = res.impacts(n_draws=50, seed=1)
    assert np.isfinite(eff.bse).all()
    # the same panel with the year path removed by time effects has an interior maximum: no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", SpatialBoundaryWarning)
        two_way = fit_spatial_panel(data, y="y", x=["x"], w=W, w_ids=list(range(N_UNITS)), entity="unit",
                                    time="year", model="sdm", effects="twoways")
    assert not two_way.info["boundary"] and abs(two_way.params["rho"]) < 0.2
