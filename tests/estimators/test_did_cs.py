"""Callaway-Sant'Anna against R ``did`` on ``mpdta`` (Callaway and Sant'Anna 2021 data).

R call reproduced (did 2.x vignette / README):
``att_gt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=mpdta,
xformla=~1, control_group="nevertreated", base_period="varying", est_method="dr")`` and
``aggte(., type=kind)``. Point estimates are deterministic (tolerance 5e-5 = rounding of the printed
4 decimals). R prints bootstrap SEs (random, 1000 draws); our analytic SEs are compared with a
tolerance of 0.0015 (about 5-10% of the SE, the Monte Carlo error of a 1000-draw IQR estimate).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from analysis.estimators.did import callaway_santanna
from analysis.estimators.did.simulate import simulate_staggered_panel
from analysis.estimators.statistics import N_UNITS

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "econometrics"

# (cohort, time): (ATT, SE) as printed by R did for the call in the module docstring
R_ATT_GT = {
    (2004, 2004): (-0.0105, 0.0233), (2004, 2005): (-0.0704, 0.0310),
    (2004, 2006): (-0.1373, 0.0364), (2004, 2007): (-0.1008, 0.0344),
    (2006, 2004): (0.0065, 0.0233), (2006, 2005): (-0.0028, 0.0196),
    (2006, 2006): (-0.0046, 0.0178), (2006, 2007): (-0.0412, 0.0202),
    (2007, 2004): (0.0305, 0.0150), (2007, 2005): (-0.0027, 0.0164),
    (2007, 2006): (-0.0311, 0.0179), (2007, 2007): (-0.0261, 0.0167),
}
# aggte(type=...): overall (ATT, SE) and components
R_AGG = {
    "simple": {"ATT": (-0.0400, 0.0118)},
    "group": {"ATT": (-0.0310, 0.0124), "g=2004": (-0.0797, 0.0264), "g=2006": (-0.0229, 0.0167),
              "g=2007": (-0.0261, 0.0167)},
    "dynamic": {"ATT": (-0.0772, 0.0200), "e=-3": (0.0305, 0.0150), "e=-2": (-0.0006, 0.0133),
                "e=-1": (-0.0245, 0.0142), "e=0": (-0.0199, 0.0118), "e=1": (-0.0510, 0.0169),
                "e=2": (-0.1373, 0.0364), "e=3": (-0.1008, 0.0344)},
    "calendar": {"ATT": (-0.0417, 0.0160), "t=2004": (-0.0105, 0.0233), "t=2005": (-0.0704, 0.0310),
                 "t=2006": (-0.0488, 0.0201), "t=2007": (-0.0371, 0.0137)},
}
# the same with xformla = ~lpop (did README), dr method
R_ATT_GT_LPOP = {(2004, 2004): -0.0145, (2004, 2005): -0.0764, (2004, 2006): -0.1404,
                 (2004, 2007): -0.1069, (2006, 2004): -0.0005, (2006, 2005): -0.0062,
                 (2006, 2006): 0.0010, (2006, 2007): -0.0413, (2007, 2004): 0.0267,
                 (2007, 2005): -0.0046, (2007, 2006): -0.0284, (2007, 2007): -0.0288}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv")


@pytest.fixture(scope="module")
def cs(mpdta):
    return callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                             control_group="never_treated", method="dr", base_period="varying")


def test_att_gt_matches_r_did(cs):
    tab = cs.att_gt.set_index(["cohort", "time"])
    assert len(tab) == len(R_ATT_GT)
    for (g, t), (att, se) in R_ATT_GT.items():
        assert tab.loc[(g, t), "att"] == pytest.approx(att, abs=5e-5), (g, t)
        assert tab.loc[(g, t), "se"] == pytest.approx(se, abs=1.5e-3), (g, t)
    assert cs.nobs == 2500 and cs.stats[N_UNITS] == 500
    assert "ATT(2004,2006)" in cs.summary()
    assert list(cs.to_frame().columns[:3]) == ["term", "estimate", "std_error"]


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations_match_r_did(cs, kind):
    agg = cs.aggregate(kind)
    assert list(agg.params.index) == list(R_AGG[kind])
    for term, (est, se) in R_AGG[kind].items():
        assert agg.params[term] == pytest.approx(est, abs=5e-5), term
        assert agg.bse[term] == pytest.approx(se, abs=1.5e-3), term


def test_covariates_dr_matches_r_did(mpdta):
    r = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                          controls=["lpop"], method="dr")
    tab = r.att_gt.set_index(["cohort", "time"])["att"]
    for key, att in R_ATT_GT_LPOP.items():
        assert tab[key] == pytest.approx(att, abs=5e-5), key


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_two_by_two_with_covariates_independent_check(mpdta, method):
    """ATT(2004,2006) with lpop: point estimate against a statsmodels re-computation, and the
    influence-function SE against the leave-one-unit-out jackknife SE (within 5%)."""
    import statsmodels.api as sm

    from analysis.estimators.did.callaway_santanna import _METHODS

    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    lpop = mpdta.groupby("countyreal")["lpop"].first()
    g = mpdta.groupby("countyreal")["first.treat"].first()
    sel = g.isin([0, 2004])
    dy = (wide.loc[sel, 2006] - wide.loc[sel, 2003]).to_numpy()
    D = (g[sel] == 2004).to_numpy().astype(float)
    X = np.column_stack([np.ones(sel.sum()), lpop[sel].to_numpy()])
    att, psi = _METHODS[method](dy, D, X)
    ps = sm.Logit(D, X).fit(disp=0).predict(X)
    ols = sm.OLS(dy[D == 0], X[D == 0]).fit().predict(X)
    w0 = ps * (1 - D) / (1 - ps)
    ref = {
        "reg": np.mean(dy[D == 1] - ols[D == 1]),
        "ipw": np.mean(dy[D == 1]) - np.sum(w0 * dy) / np.sum(w0),
        "dr": np.mean((dy - ols)[D == 1]) - np.sum(w0 * (dy - ols)) / np.sum(w0),
    }[method]
    assert att == pytest.approx(ref, abs=1e-8)
    n = len(dy)
    se_if = np.sqrt(np.mean(psi**2) / n)
    loo = np.array([_METHODS[method](np.delete(dy, i), np.delete(D, i), np.delete(X, i, 0))[0]
                    for i in range(n)])
    se_jk = np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))
    assert se_if == pytest.approx(se_jk, rel=0.05)
    cs = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                           controls=["lpop"], method=method).att_gt.set_index(["cohort", "time"])
    assert cs.loc[(2004, 2006), "att"] == pytest.approx(att, abs=1e-12)
    assert cs.loc[(2004, 2006), "se"] == pytest.approx(se_if, rel=1e-10)


def test_methods_coincide_without_covariates(mpdta, cs):
    for method in ("ipw", "reg"):
        r = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year",
                              cohort="first.treat", method=method)
        np.testing.assert_allclose(r.att_gt["att"], cs.att_gt["att"], atol=1e-12)
        np.testing.assert_allclose(r.att_gt["se"], cs.att_gt["se"], rtol=1e-8)


def test_multiplier_bootstrap_close_to_analytic(mpdta, cs):
    b = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                          bootstrap=True, n_boot=999, seed=3)
    # IQR-based bootstrap SE has ~5% relative Monte Carlo error at 999 draws
    np.testing.assert_allclose(b.att_gt["se"], cs.att_gt["se"], rtol=0.15)
    crit = b.info["crit_value"]
    assert 1.96 < crit < 3.5  # simultaneous band is wider than pointwise
    agg = cs.aggregate("dynamic", bootstrap=True, seed=4)
    np.testing.assert_allclose(agg.bse, cs.aggregate("dynamic").bse, rtol=0.15)
    again = cs.aggregate("dynamic", bootstrap=True, seed=4)
    pd.testing.assert_series_equal(agg.bse, again.bse)


def test_not_yet_treated_and_universal(mpdta, cs):
    ny = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                           control_group="not_yet_treated")
    tab = ny.att_gt.set_index(["cohort", "time"])
    # the last cohort has no not-yet-treated units after 2006: same as never treated there
    assert tab.loc[(2007, 2007), "att"] == pytest.approx(-0.0261, abs=5e-5)
    # 2004 at 2004 uses never treated + cohorts 2006, 2007 as controls: more units than never-only
    never_only = cs.att_gt.set_index(["cohort", "time"]).loc[(2004, 2004), "n_units"]
    assert tab.loc[(2004, 2004), "n_units"] > never_only
    un = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                           base_period="universal")
    ut = un.att_gt.set_index(["cohort", "time"])
    assert ut.loc[(2006, 2005), "att"] == 0.0  # reference period
    # post-period ATTs do not depend on the base-period rule
    for key in [(2004, 2006), (2006, 2007), (2007, 2007)]:
        assert ut.loc[key, "att"] == pytest.approx(R_ATT_GT[key][0], abs=5e-5)
    assert len(un.aggregate("dynamic").plot().axes) == 1


def test_recovers_planted_effect_with_coverage():
    """Analytic 95% CIs of the simple ATT cover the planted ATT in about 95% of 60 draws."""
    hits, errs = 0, []
    for rep in range(60):
        df = simulate_staggered_panel(n_units=150, periods=range(2003, 2013), cohorts=(2006, 2009),
                                      share_treated=0.5, seed=1000 + rep)
        r = callaway_santanna(df, y="y", entity="city", time="year", cohort="cohort")
        est, se = r.aggregate("simple").overall
        # planted simple ATT: cohort-size-weighted mean of tau over post cells (g <= t)
        truth = df.loc[df["treat"] == 1, "tau"].mean()
        errs.append(est - truth)
        hits += abs(est - truth) <= 1.96 * se
    assert abs(np.mean(errs)) < 3 * np.std(errs) / np.sqrt(60)
    assert hits >= 51  # P(Bin(60, .95) <= 50) < 1%


def test_bad_input(mpdta):
    with pytest.raises(ValueError, match="control_group"):
        callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                          control_group="never")
    with pytest.raises(ValueError, match="not in the data"):
        callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="g")
    with pytest.raises(ValueError, match="no never-treated"):
        callaway_santanna(mpdta[mpdta["first.treat"] > 0], y="lemp", entity="countyreal",
                          time="year", cohort="first.treat")
    bad = mpdta.copy()
    bad.loc[0, "first.treat"] = 2006
    with pytest.raises(ValueError, match="varies within unit"):
        callaway_santanna(bad, y="lemp", entity="countyreal", time="year", cohort="first.treat")
    with pytest.raises(ValueError, match="kind"):
        callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year",
                          cohort="first.treat").aggregate("event")


def test_unbalanced_panel_pairwise_units():
    """Unbalanced panels: each ATT(g,t) uses the units observed in t and its base period."""
    full = simulate_staggered_panel(n_units=200, periods=range(2003, 2012), cohorts=(2006, 2009),
                                    share_treated=0.5, seed=21)
    df = full.sample(frac=0.85, random_state=3).reset_index(drop=True)
    r = callaway_santanna(df, y="y", entity="city", time="year", cohort="cohort")
    tab = r.att_gt
    assert tab["n_units"].max() < 200
    for (g, t), n_gt in zip(zip(tab["cohort"], tab["time"]), tab["n_units"]):
        b = tab.loc[(tab["cohort"] == g) & (tab["time"] == t), "base"].item()
        obs = df[df["year"].isin([t, b]) & ((df["cohort"] == g) | (df["cohort"] == 0))]
        assert n_gt == int((obs.groupby("city").size() == 2).sum())
    est, se = r.aggregate("simple").overall
    truth = full.loc[full["treat"] == 1, "tau"].mean()
    assert abs(est - truth) < 3 * se
