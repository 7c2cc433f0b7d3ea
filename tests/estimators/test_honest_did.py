"""HonestDiD sensitivity analysis (``analysis.estimators.inference.rambachan_roth``).

Validation against the Python port ``honestdid`` 0.1.1 of the R package (loaded with its NumPy-2 fix,
``tests/estimators/peers.py``), on the same beta and Sigma:
* relative magnitudes (C-LF, the R default), with and without nuisance parameters (two post periods / one):
  the accepted grid's ends are the same grid points (exactly: same grid, same least-favourable draws);
* smoothness (FLCI, the R default): the peer searches the sd bound h in steps of (h0 - hmin)/100 and
  simulates the folded-normal quantile (10^6 draws); ours solves both exactly. With the peer's simulated
  quantile substituted into ours, the half-lengths agree within 1e-3 relative (ours at most 1e-4 longer: the
  minimum over h is flat), and the centres within 1e-2 of the interval's length (on that flat optimum,
  estimators of equal length differ in their weights); with our exact quantile the ends agree within 1e-2 of
  the length (plus the simulation error of the peer's quantile, about 1e-3);
* the original interval equals the peer's ``constructOriginalCS``.
Then: every event study of ours (TWFE, Sun-Abraham, Callaway-Sant'Anna dynamic with a universal base,
imputation with leads) feeds it, and the bad inputs are refused with a clear message.
"""
import numpy as np
import pytest

import analysis.estimators.inference.rambachan_roth as H
from analysis.estimators import callaway_santanna, event_study, imputation_did, sun_abraham
from analysis.estimators.did.simulate import simulate_staggered_panel
from tests.estimators.peers import honestdid_numpy2

GRID = 200   # a coarser grid than the default 1,000 keeps the peer's run short; both use the same grid


@pytest.fixture(scope="module")
def peer():
    return honestdid_numpy2()


def example(n_pre=3, n_post=2, seed=0):
    rng = np.random.default_rng(seed)
    k = n_pre + n_post
    A = rng.normal(size=(k, k)) * 0.01
    sigma = A @ A.T + np.eye(k) * 4e-4
    beta = np.r_[np.array([0.01, -0.005, 0.004, 0.0])[-n_pre:], np.array([0.05, 0.07, 0.06])[:n_post]]
    return beta, sigma


@pytest.mark.parametrize("n_post", [2, 1])
def test_relative_magnitudes_equal_the_peer(peer, n_post):
    beta, sigma = example(n_post=n_post)
    mbar = [0.5, 1.0]
    ours = H.honest_did(beta=beta, sigma=sigma, n_pre=3, restriction="rm", M=mbar, grid_points=GRID)
    theirs = peer.createSensitivityResults_relativeMagnitudes(beta, sigma, 3, n_post, Mbarvec=mbar, gridPoints=GRID)
    np.testing.assert_allclose(ours.table[["lb", "ub"]].to_numpy(), theirs[["lb", "ub"]].to_numpy(), rtol=0, atol=1e-12)
    orig = peer.constructOriginalCS(beta, sigma, 3, n_post)
    assert ours.original == pytest.approx((orig["lb"][0], orig["ub"][0]), rel=1e-12)


def test_smoothness_flci_against_the_peer(peer, monkeypatch):
    beta, sigma = example()
    M = [0.0, 0.01, 0.02]
    theirs = peer.createSensitivityResults(beta, sigma, 3, 2, Mvec=M)
    exact = H.honest_did(beta=beta, sigma=sigma, n_pre=3, restriction="sd", M=M).table
    length = (theirs["ub"] - theirs["lb"]).to_numpy()
    assert np.all(np.abs(exact[["lb", "ub"]].to_numpy() - theirs[["lb", "ub"]].to_numpy()).max(axis=1) <= 1e-2 * length)
    monkeypatch.setattr(H, "folded_normal_quantile", lambda p, m: float(peer._qfoldednormal(p, mu=m)))
    sim = H.honest_did(beta=beta, sigma=sigma, n_pre=3, restriction="sd", M=M).table
    hl_ours, hl_peer = (sim["ub"] - sim["lb"]).to_numpy() / 2, length / 2
    assert np.all(hl_ours <= hl_peer * (1 + 1e-4)) and np.all(hl_ours >= hl_peer * (1 - 1e-3))
    centres = np.abs((sim["ub"] + sim["lb"]).to_numpy() - (theirs["ub"] + theirs["lb"]).to_numpy()) / 2
    assert np.all(centres <= 1e-2 * length)


def test_folded_normal_quantile_is_exact():
    from scipy import stats

    for t in (0.0, 0.7, 3.0):
        c = H.folded_normal_quantile(0.95, t)
        assert stats.norm.cdf(c - t) - stats.norm.cdf(-c - t) == pytest.approx(0.95, abs=1e-13)
    assert H.folded_normal_quantile(0.95, 0.0) == pytest.approx(stats.norm.ppf(0.975), abs=1e-12)


@pytest.fixture(scope="module")
def staggered():
    return simulate_staggered_panel(seed=1)


def test_every_event_study_of_ours_feeds_it(staggered):
    kw = dict(y="y", entity="city", time="year", cohort="cohort")
    results = [event_study(staggered, window=(-4, 3), cluster="city", **kw),
               sun_abraham(staggered, window=(-4, 3), cluster="city", **kw),
               callaway_santanna(staggered, base_period="universal", **kw).aggregate("dynamic", min_e=-4, max_e=3),
               imputation_did(staggered, horizons=[0, 1, 2, 3], leads=3, **kw)]
    for res in results:
        beta, sigma, pre, post = H.event_study_input(res)
        assert pre == [-4, -3, -2] and post == [0, 1, 2, 3]
        assert sigma.shape == (7, 7) and np.allclose(sigma, sigma.T)
        out = H.honest_did(res, restriction="rm", M=[0.0, 1.0])
        lo, hi = out.table.iloc[0][["lb", "ub"]]
        assert lo <= out.estimate <= hi
        assert out.table["ub"].iloc[1] - out.table["lb"].iloc[1] >= hi - lo     # a larger Mbar, a wider set
        fig = out.plot()
        assert fig.axes[0].get_xlabel().startswith("M̄")


def test_imputation_leads_are_bjs_pretrend_regression(staggered):
    from analysis.estimators import fit_fe

    kw = dict(y="y", entity="city", time="year", cohort="cohort")
    res = imputation_did(staggered, horizons=[0], leads=2, **kw)
    d = staggered.assign(e=staggered.year - staggered.cohort.replace(0, np.nan))
    d = d[~(d.e >= 0)]
    d = d.assign(lead2=(d.e == -2).astype(float), lead3=(d.e <= -3).astype(float))
    ols = fit_fe(d, "y ~ lead2 + lead3 | city + year", cluster="city")
    assert res.params[["t-2", "t-3"]].to_numpy() == pytest.approx(ols.params[["lead2", "lead3"]].to_numpy(), rel=1e-10)


def test_bad_input(staggered):
    kw = dict(y="y", entity="city", time="year", cohort="cohort")
    varying = callaway_santanna(staggered, **kw).aggregate("dynamic")
    with pytest.raises(ValueError, match="universal"):
        H.honest_did(varying)
    with pytest.raises(ValueError, match="pre- and post-period"):
        H.honest_did(imputation_did(staggered, horizons=[0, 1], **kw))
    with pytest.raises(ValueError, match="restriction"):
        H.honest_did(beta=[0.1, 0.2], sigma=np.eye(2), n_pre=1, restriction="linear")
    with pytest.raises(ValueError, match="two pre-period"):
        H.honest_did(beta=[0.1, 0.2], sigma=np.eye(2), n_pre=1, restriction="sd")
