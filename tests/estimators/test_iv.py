"""FE-2SLS and weak-instrument statistics.

Validation: Wooldridge's mroz example shipped with linearmodels (Example 15.40 / linearmodels
docs): lwage on educ instrumented by motheduc and fatheduc, exper, expersq, classical SE with
N-K df. FE + cluster: equality with pyfixest IV under ssc(k_adj, "nonnested", G_adj, "min").
Identities: with iid covariance the Kleibergen-Paap rk Wald F equals Cragg-Donald F (any K1), the
rk LM equals Anderson's N * min canonical correlation^2; with one endogenous regressor the rk
Wald F equals the cluster-robust first-stage F under the pinned convention.
"""
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from linearmodels.datasets import mroz
from linearmodels.iv import IV2SLS

from analysis.estimators.iv import fit_iv, stock_yogo

SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")


@pytest.fixture(scope="module")
def mroz_df():
    return mroz.load().dropna(subset=["lwage"])


def test_mroz_textbook_and_linearmodels(mroz_df):
    r = fit_iv(mroz_df, "lwage ~ exper + expersq | educ ~ motheduc + fatheduc", vcov="iid")
    # Wooldridge (2010 / Introductory Example 15.40): educ .0614 (.0314), exper .0442 (.0134),
    # expersq -.0009 (.0004), intercept .0481 (.4003); Sargan 0.378 (p = .539)
    assert r.nobs == 428
    assert r.params["educ"] == pytest.approx(0.0614, abs=5e-5)
    assert r.bse["educ"] == pytest.approx(0.0314, abs=5e-5)
    assert r.params["exper"] == pytest.approx(0.0442, abs=5e-5)
    assert r.bse["Intercept"] == pytest.approx(0.4003, abs=5e-5)
    assert r.stats["Sargan"] == pytest.approx(0.378, abs=5e-4)
    for cov, vc in (("unadjusted", "iid"), ("robust", "HC1")):
        lm = IV2SLS.from_formula("lwage ~ 1 + exper + expersq + [educ ~ motheduc + fatheduc]",
                                 mroz_df).fit(cov_type=cov, debiased=True)
        ours = fit_iv(mroz_df, "lwage ~ exper + expersq | educ ~ motheduc + fatheduc", vcov=vc)
        np.testing.assert_allclose(ours.params[lm.params.index], lm.params, rtol=1e-8)
        np.testing.assert_allclose(ours.bse[lm.params.index], lm.std_errors, rtol=1e-8)
    assert r.stats["Sargan"] == pytest.approx(lm.sargan.stat, rel=1e-8)
    # Weak-ID: CD F = first-stage F (K1 = 1, iid) and Anderson LM = N * partial R2
    fs = r.info["first_stage"]["educ"]
    assert r.stats["Cragg_Donald_F"] == pytest.approx(r.stats["first_stage_F"], rel=1e-9)
    assert r.stats["KP_rk_LM"] == pytest.approx(428 * fs.stats["partial_R2"], rel=1e-9)
    assert fs.stats["partial_R2"] == pytest.approx(lm.first_stage.diagnostics["partial.rsquared"].iloc[0], rel=1e-8)
    assert r.stats["SY_size_10%"] == 19.93


def _panel(seed=0, n=80, t=6, beta=1.0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"city": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    a = rng.normal(size=n)[df["city"]]
    for c in ("z1", "z2", "z3", "w"):
        df[c] = rng.normal(size=len(df))
    v = rng.normal(size=len(df)) + rng.normal(size=n)[df["city"]]
    df["x"] = 0.5 * df.z1 + 0.3 * df.z2 + 0.2 * df.w + a + v
    df["x2"] = 0.4 * df.z3 + 0.3 * df.z1 + rng.normal(size=len(df))
    df["y"] = beta * df.x + 0.5 * df.w + a + 0.6 * v + rng.normal(size=len(df)) + rng.normal(size=n)[df["city"]]
    return df


@pytest.mark.parametrize("formula", ["y ~ w | city + year | x ~ z1 + z2", "y ~ w | city | x ~ z1"])
def test_fe_cluster_matches_pyfixest(formula):
    df = _panel()
    r = fit_iv(df, formula, cluster="city")
    p = pf.feols(formula, df, vcov={"CRV1": "city"}, ssc=SSC)
    np.testing.assert_allclose(r.params.values, p.coef().values, rtol=1e-9)
    np.testing.assert_allclose(r.bse.values, p.se().values, rtol=1e-7)
    assert r.df_resid == 79
    # K1 = 1: KP rk Wald F is the cluster-robust first-stage F under the same convention
    assert r.stats["KP_rk_Wald_F"] == pytest.approx(r.stats["first_stage_F"], rel=1e-8)


def test_kp_equals_cragg_donald_under_iid_two_endogenous():
    df = _panel(1)
    r = fit_iv(df, "y ~ w | city + year | x + x2 ~ z1 + z2 + z3", vcov="iid")
    assert r.stats["KP_rk_Wald_F"] == pytest.approx(r.stats["Cragg_Donald_F"], rel=1e-8)
    rc = fit_iv(df, "y ~ w | city + year | x + x2 ~ z1 + z2 + z3", cluster="city")
    assert rc.stats["KP_rk_LM"] > 0 and 0 <= rc.stats["Hansen_J_p"] <= 1
    assert rc.stats["SY_size_10%"] == 13.43
    assert stock_yogo(1, 1)["size_10%"] == 16.38 and stock_yogo(3, 5) == {}


def test_monte_carlo_coverage():
    """60 draws of an endogenous panel: the cluster 95% CI of beta covers ~95%, bias small."""
    cover, est = [], []
    for rep in range(60):
        df = _panel(200 + rep, n=60, t=5)
        r = fit_iv(df, "y ~ w | city + year | x ~ z1 + z2", cluster="city")
        ci = r.conf_int().loc["x"]
        cover.append(ci["lower"] <= 1.0 <= ci["upper"])
        est.append(r.params["x"])
    assert abs(np.mean(cover) - 0.95) < 0.10
    assert abs(np.mean(est) - 1.0) < 3 * np.std(est) / np.sqrt(60) + 0.02


def test_bad_input():
    df = _panel()
    with pytest.raises(ValueError, match="under-identified"):
        fit_iv(df, "y ~ w | city | x + x2 ~ z1")
    with pytest.raises(ValueError, match="no IV part"):
        fit_iv(df, "y ~ w | city")
    with pytest.raises(ValueError, match="singular"):
        fit_iv(df.assign(z2=df["z1"] * 2), "y ~ w | city | x ~ z1 + z2")
    with pytest.raises(ValueError, match="not in the data"):
        fit_iv(df, "y ~ w | city | x ~ zz")


def test_kp_rk_lm_is_cluster_robust_score_test_for_one_endogenous():
    """K1 = 1: rk LM = (Z'x)' [sum_g (Z_g'x_g)(Z_g'x_g)']^-1 (Z'x) on partialled-out data."""
    from analysis.estimators.fixed_effects import Demeaner, factorize

    df = _panel(4)
    r = fit_iv(df, "y ~ w | city + year | x ~ z1 + z2", cluster="city")
    ab = Demeaner([factorize(df[c].to_numpy())[0] for c in ("city", "year")])
    d = ab(df[["x", "z1", "z2", "w"]].to_numpy(float))
    w = d[:, [3]]
    part = lambda a: a - w @ np.linalg.lstsq(w, a, rcond=None)[0]
    x, z = part(d[:, [0]])[:, 0], part(d[:, 1:3])
    s = np.zeros((df["city"].nunique(), 2))
    np.add.at(s, df["city"].to_numpy(), z * x[:, None])
    g = z.T @ x
    assert r.stats["KP_rk_LM"] == pytest.approx(float(g @ np.linalg.solve(s.T @ s, g)), rel=1e-8)
