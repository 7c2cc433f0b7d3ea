"""Monte Carlo: the Lee-Yu two-way SDM is unbiased within simulation error and the LeSage-Pace
effect intervals have near-nominal coverage.

Design: N = 49 units on a 7 x 7 rook lattice (row-standardised), T = 8, two regressors correlated
with the individual and time effects, rho = 0.4, beta = (1.0, -0.5), theta = (0.5, 0.3), sigma = 1,
R = 80 replications with fixed seeds. Tolerances come from the simulation error: a mean is within
3.5 Monte Carlo standard errors of the truth; a 95% coverage rate over R = 80 has binomial sd 2.4%,
so each rate must exceed 0.95 - 3.5 * 0.024 = 0.866 (0.85 used) and their mean 0.90.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis.estimators.spatial import fit_spatial_panel, row_standardise

N_SIDE, T, R = 7, 8, 80
RHO, BETA, THETA, SIGMA = 0.4, np.array([1.0, -0.5]), np.array([0.5, 0.3]), 1.0


def _lattice(side: int) -> sp.csr_matrix:
    idx = np.arange(side * side).reshape(side, side)
    pairs = [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]
    r = np.concatenate([np.r_[a.ravel(), b.ravel()] for a, b in pairs])
    c = np.concatenate([np.r_[b.ravel(), a.ravel()] for a, b in pairs])
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(side * side,) * 2)


def _true_effects(W: np.ndarray) -> dict:
    n = W.shape[0]
    Sinv = np.linalg.inv(np.eye(n) - RHO * W)
    out = {}
    for k, v in enumerate(["x1", "x2"]):
        M = Sinv @ (BETA[k] * np.eye(n) + THETA[k] * W)
        out[f"direct:{v}"] = np.trace(M) / n
        out[f"total:{v}"] = M.sum() / n
        out[f"indirect:{v}"] = out[f"total:{v}"] - out[f"direct:{v}"]
    return out


@pytest.fixture(scope="module")
def simulation():
    W = row_standardise(_lattice(N_SIDE))
    Wd = W.toarray()
    n = Wd.shape[0]
    ids = list(range(n))
    Sinv = np.linalg.inv(np.eye(n) - RHO * Wd)
    rng = np.random.default_rng(20240611)
    grid = pd.MultiIndex.from_product([range(T), ids], names=["t", "i"]).to_frame(index=False)
    rows = []
    for _ in range(R):
        mu = rng.normal(size=n)
        alpha = rng.normal(size=T)
        X = rng.normal(size=(T, n, 2)) + 0.5 * mu[None, :, None] + 0.5 * alpha[:, None, None]
        xb = X @ BETA + np.einsum("ij,tjk->tik", Wd, X) @ THETA
        y = (Sinv @ (xb + mu[None, :] + alpha[:, None] + SIGMA * rng.normal(size=(T, n))).T).T
        d = grid.assign(x1=X[:, :, 0].ravel(), x2=X[:, :, 1].ravel(), y=y.ravel())
        kw = dict(y="y", x=["x1", "x2"], w=W, w_ids=ids, entity="i", time="t", model="sdm", effects="twoways")
        ly = fit_spatial_panel(d, lee_yu=True, **kw)
        direct = fit_spatial_panel(d, lee_yu=False, **kw)
        imp = ly.impacts(n_draws=300, seed=len(rows))
        ci = ly.conf_int()
        ici = imp.conf_int()
        rows.append({
            **{f"ly:{k}": v for k, v in ly.params.items()},
            "ly:sigma2": ly.sigma2,
            "direct:sigma2": direct.sigma2,
            "cover:rho": ci.loc["rho", "lower"] <= RHO <= ci.loc["rho", "upper"],
            **{f"cover:{k}": ici.loc[k, "lower"] <= v <= ici.loc[k, "upper"] for k, v in _true_effects(Wd).items()},
        })
    return pd.DataFrame(rows)


def _within_mc_error(draws: pd.Series, truth: float, k: float = 3.5) -> bool:
    return abs(draws.mean() - truth) <= k * draws.std(ddof=1) / np.sqrt(len(draws))


def test_lee_yu_estimates_unbiased(simulation):
    truth = {"rho": RHO, "x1": BETA[0], "x2": BETA[1], "W*x1": THETA[0], "W*x2": THETA[1], "sigma2": SIGMA**2}
    for name, value in truth.items():
        assert _within_mc_error(simulation[f"ly:{name}"], value), (name, simulation[f"ly:{name}"].mean())


def test_direct_approach_sigma2_biased_lee_yu_not(simulation):
    """The direct approach's sigma2 is biased by about (N-1)(T-1)/(NT) = 0.857 (Lee-Yu 2010); the
    test would fail if the Lee-Yu degrees of freedom were dropped."""
    ratio = simulation["direct:sigma2"].mean() / SIGMA**2
    assert ratio == pytest.approx(48 * 7 / (49 * 8), abs=0.03)
    assert not _within_mc_error(simulation["direct:sigma2"], SIGMA**2)


def test_effects_intervals_near_nominal(simulation):
    cover = simulation.filter(like="cover:").mean()
    assert (cover >= 0.85).all(), cover
    assert cover.mean() >= 0.90, cover
    assert (cover <= 1.0).all()
