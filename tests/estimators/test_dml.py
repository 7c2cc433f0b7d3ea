"""DML (PLR / PLIV) on panels.

Validation: (1) on the 401(k) data of Chernozhukov et al. (2018) with linear learners the estimate and
its standard error equal a hand-coded partialling-out estimator on the same folds; (2) with random
forests and Lasso the estimate lies in the range DoubleML documents for this example (the
"Impact of 401(k) on Financial Wealth" notebook: PLR effects of eligibility on net financial assets
of roughly 8,000-9,500 USD across learners with SE about 1,300, plotted on a 0-12,500 axis; the
exact printed cells were not available offline, so we accept 7,500-10,500 and SE 1,100-1,600);
(3) Monte Carlo recovery of a planted effect with city and year effects correlated with the treatment;
(4) the cluster-robust variance convention (CR1 with G/(G-1), t on G-1 df) against statsmodels.
The full 401(k) sample is used (no subsampling): the documented comparison is on all 9,915 households.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LassoCV, LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from analysis.estimators.dml import demean_twoway, fit_dml, learner_comparison, plot_learner_comparison
from analysis.estimators.statistics import N_CLUSTERS

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data"
X401 = ["age", "inc", "educ", "fsize", "marr", "twoearn", "db", "pira", "hown"]


@pytest.fixture(scope="module")
def k401() -> pd.DataFrame:
    return pd.read_csv(REF / "econometrics" / "sipp1991_401k.csv")


def simulate_panel(seed, n=60, t=8, theta=-0.5, iv=False, nonlinear=False):
    """Panel with planted theta; city effects a_i and year effects l_t enter D and Y (confounding)."""
    rng = np.random.default_rng(seed)
    city = np.repeat(np.arange(n), t)
    year = np.tile(np.arange(2010, 2010 + t), n)
    a = rng.normal(0, 1, n)[city]
    lt = rng.normal(0, 1, t)[year - 2010]
    x = rng.normal(0, 1, (n * t, 3)) + 0.5 * a[:, None]
    if nonlinear:
        m = np.sin(x[:, 0]) + 0.5 * (x[:, 1] > 0)
        g = np.cos(x[:, 0]) + 0.5 * x[:, 2] ** 2
    else:
        m = 0.5 * x[:, 0] - 0.3 * x[:, 1]
        g = x[:, 0] + 0.5 * x[:, 2]
    u = rng.normal(0, 1, n * t)
    df = pd.DataFrame({"city": city, "year": year, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
    if iv:
        dist = rng.uniform(0, 3, n)[city]                 # time-invariant (distance)
        series = np.linspace(0.0, 2.0, t)[year - 2010]    # national series
        z = dist * series
        v = rng.normal(0, 1, n * t)
        d = 0.8 * a + 0.5 * lt + m + 1.5 * z + v + 0.8 * u  # endogenous: shares u
        df["dist"], df["series"] = dist, series
    else:
        d = 0.8 * a + 0.5 * lt + m + rng.normal(0, 1, n * t)
    df["d"] = d
    df["y"] = theta * d + g + 1.0 * a + 1.0 * lt + u
    return df


# ---------------------------------------------------------------------------------------------
# 401(k)


def test_401k_linear_learners_equal_hand_coded_partialling_out(k401):
    res = fit_dml(k401, y="net_tfa", d="e401", controls=X401, fe_method="none", cluster=None, learner="ols",
                  n_folds=5, seed=3, progress=False)
    X = k401[X401].to_numpy(float)
    yv, dv = k401.net_tfa.to_numpy(float), k401.e401.to_numpy(float)
    u, v = np.empty_like(yv), np.empty_like(dv)
    for train, test in res.info["folds"][0]:
        u[test] = yv[test] - LinearRegression().fit(X[train], yv[train]).predict(X[test])
        v[test] = dv[test] - LinearRegression().fit(X[train], dv[train]).predict(X[test])
    theta = np.sum(v * u) / np.sum(v * v)
    psi = (u - theta * v) * v
    se = np.sqrt(np.mean(psi**2) / np.mean(v * v) ** 2 / len(yv))
    assert res.params["e401"] == pytest.approx(theta, rel=1e-9)
    assert res.bse["e401"] == pytest.approx(se, rel=1e-9)
    assert res.df_resid is None and res.nobs == 9915


def test_401k_random_forest_in_documented_range(k401):
    # DoubleML's 401(k) example learner settings (max_depth 7, max_features 3, min_samples_leaf 3),
    # 50 trees instead of 500 to keep the test fast.
    res = fit_dml(k401, y="net_tfa", d="e401", controls=X401, fe_method="none", cluster=None, learner="rf",
                  learner_params=dict(n_estimators=50, max_depth=7, max_features=3, min_samples_leaf=3),
                  seed=1, progress=False)
    assert 7_500 < res.params["e401"] < 10_500
    assert 1_100 < res.bse["e401"] < 1_600


def test_401k_lasso_in_documented_range(k401):
    # DoubleML's Lasso example uses second-order polynomial features; with raw linear features
    # Lasso equals OLS (about 5,800), outside the documented range, which is why this matters.
    lasso = make_pipeline(PolynomialFeatures(2, include_bias=False), StandardScaler(),
                          LassoCV(cv=3, alphas=10, max_iter=5000))
    res = fit_dml(k401, y="net_tfa", d="e401", controls=X401, fe_method="none", cluster=None, learner=lasso,
                  seed=1, progress=False)
    assert 7_500 < res.params["e401"] < 10_500
    assert 1_100 < res.bse["e401"] < 1_600


# ---------------------------------------------------------------------------------------------
# panel conventions


def test_cluster_variance_equals_cluster_robust_ols_of_residuals():
    df = simulate_panel(1)
    res = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner="ols",
                  progress=False)
    # rebuild the residuals on the same (city-grouped) folds from the within-transformed data
    dfs = df.sort_values(["city", "year"]).reset_index(drop=True)
    ent, tim = pd.factorize(dfs.city)[0], pd.factorize(dfs.year)[0]
    w = demean_twoway(dfs[["y", "d", "x1", "x2", "x3"]].to_numpy(), ent, tim)
    u, v = np.empty(len(w)), np.empty(len(w))
    for train, test in res.info["folds"][0]:
        assert np.intersect1d(ent[train], ent[test]).size == 0  # folds split by city
        for col, out in ((0, u), (1, v)):
            out[test] = w[test, col] - LinearRegression().fit(w[train, 2:], w[train, col]).predict(w[test, 2:])
    ols = sm.OLS(u, v).fit(cov_type="cluster", cov_kwds={"groups": ent})  # CR1: G/(G-1)(N-1)/(N-K), K=1
    assert res.params["d"] == pytest.approx(ols.params[0], rel=1e-9)
    assert res.bse["d"] == pytest.approx(ols.bse[0], rel=1e-9)
    assert res.df_resid == 59 and res.stats[N_CLUSTERS] == 60
    assert abs(res.params["Constant"]) < 1e-10  # after the within transformation


def test_cluster_variance_is_doubleml_cluster_variance_times_small_sample_factor():
    # doubleml's own cluster-robust variance (Chiang et al. 2021) on the same city folds, with equal
    # numbers of cities per fold, equals ours without the G/(G-1) factor
    import doubleml as dml

    df = simulate_panel(1)
    res = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner="ols",
                  progress=False)
    dfs = df.sort_values(["city", "year"]).reset_index(drop=True)
    ent, tim = pd.factorize(dfs.city)[0], pd.factorize(dfs.year)[0]
    data = pd.DataFrame(demean_twoway(dfs[["y", "d", "x1", "x2", "x3"]].to_numpy(), ent, tim),
                        columns=["y", "d", "x1", "x2", "x3"]).assign(cl=ent)
    model = dml.DoubleMLPLR(dml.DoubleMLData(data, "y", "d", ["x1", "x2", "x3"], cluster_cols="cl"),
                            LinearRegression(), LinearRegression(), n_folds=5, draw_sample_splitting=False)
    folds = res.info["folds"][0]
    model.set_sample_splitting([folds], [[([np.unique(ent[tr])], [np.unique(ent[te])]) for tr, te in folds]])
    model.fit()
    assert res.params["d"] == pytest.approx(model.coef[0], rel=1e-10)
    assert res.bse["d"] == pytest.approx(model.se[0] * np.sqrt(60 / 59), rel=1e-8)


def test_within_demeaning_exact_on_balanced_and_converges_unbalanced():
    rng = np.random.default_rng(0)
    g1, g2 = np.repeat(np.arange(20), 5), np.tile(np.arange(5), 20)
    a = rng.normal(size=(100, 2))
    w = demean_twoway(a, g1, g2)
    for g in (g1, g2):
        assert np.abs(pd.DataFrame(w).groupby(g).mean().to_numpy()).max() < 1e-12
    keep = rng.random(100) > 0.2
    wu = demean_twoway(a[keep], g1[keep], pd.factorize(g2[keep])[0])
    for g in (g1[keep], g2[keep]):
        assert np.abs(pd.DataFrame(wu).groupby(g).mean().to_numpy()).max() < 1e-8


def test_monte_carlo_recovers_planted_effect_and_covers():
    # 25 panels of 60 cities x 8 years, linear nuisances (OLS learners keep it fast). The within
    # default is unbiased and its 95% CI covers; ignoring the effects (fe_method="none") is biased.
    theta, reps = -0.5, 25
    est = {"within": [], "fd": [], "cre": [], "none": []}
    cover = []
    for s in range(reps):
        df = simulate_panel(100 + s)
        for fe in ("within", "none") if s >= 10 else est:  # fd and cre on the first 10 panels only
            r = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", fe_method=fe,
                        learner="ols", seed=s, progress=False)
            est[fe].append(r.params["d"])
            if fe == "within":
                lo, hi = r.conf_int().loc["d"]
                cover.append(lo <= theta <= hi)
    for fe in ("within", "fd", "cre"):
        e = np.array(est[fe])
        mc_se = e.std(ddof=1) / np.sqrt(len(e))
        assert abs(e.mean() - theta) < 4 * mc_se + 0.01, fe
    assert abs(np.mean(est["none"]) - theta) > 0.15  # confounded by a_i and l_t
    # nominal 95%; binomial simulation error sqrt(.95*.05/25) = 0.044: accept >= 0.82 (3 SE)
    assert np.mean(cover) >= 0.82


def test_random_forest_recovers_nonlinear_panel_effect():
    # one larger panel with nonlinear g and m: RF-DML within is within 3 SE of the planted effect
    df = simulate_panel(7, n=120, t=8, nonlinear=True)
    r = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner="rf",
                learner_params=dict(n_estimators=60), progress=False)
    assert abs(r.params["d"] + 0.5) < 3 * r.bse["d"]
    assert r.model == "DML-PLR" and r.info["fe_method"] == "within" and r.info["fe"] == ["city", "year"]
    assert r.info["table_rows"] == {"Control": "Yes", "Control2": "No", "City FE": "Yes", "Time FE": "Yes",
                                    "Dml": "RF"}


def test_repeated_cross_fitting_median_aggregation():
    df = simulate_panel(3)
    r = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner="ols",
                n_rep=5, seed=11, progress=False)
    reps = r.repetitions()
    assert len(reps) == 5 and reps.theta.nunique() == 5  # different folds per repetition
    assert r.params["d"] == pytest.approx(np.median(reps.theta))
    expected = np.sqrt(np.median(reps.se**2 + (reps.theta - np.median(reps.theta)) ** 2))
    assert r.bse["d"] == pytest.approx(expected)
    nt = r.nuisance_table()
    assert len(nt) == 5 * 5 * 2 and (nt.rmse > 0).all()


# ---------------------------------------------------------------------------------------------
# PLIV


def test_pliv_time_varying_instrument_recovers_effect():
    theta, est, naive = -0.5, [], []
    for s in range(15):
        df = simulate_panel(200 + s, iv=True)
        r = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner="ols",
                    instrument="dist", instrument_series="series", seed=s, progress=False)
        est.append(r.params["d"])
        naive.append(fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year",
                             learner="ols", seed=s, progress=False).params["d"])
    e = np.array(est)
    assert r.model == "DML-PLIV" and "ml_r (E[D|X])" in set(r.nuisance_table().nuisance)
    # tolerance: 4 Monte Carlo SE plus 0.02 for the finite-sample IV bias towards OLS
    assert abs(e.mean() - theta) < 4 * e.std(ddof=1) / np.sqrt(len(e)) + 0.02
    assert np.mean(naive) - theta > 0.2  # PLR is biased upwards by the endogeneity


def test_time_invariant_instrument_rejected_under_within_but_runs_with_cre():
    df = simulate_panel(5, iv=True)
    with pytest.raises(ValueError, match="does not vary within city"):
        fit_dml(df, y="y", d="d", controls=["x1", "x2"], entity="city", time="year", instrument="dist", learner="ols",
                progress=False)
    r = fit_dml(df, y="y", d="d", controls=["x1", "x2"], entity="city", time="year", instrument="dist", fe_method="cre",
                learner="ols", progress=False)
    assert np.isfinite(r.params["d"]) and r.model == "DML-PLIV"


# ---------------------------------------------------------------------------------------------
# learner comparison, bad input


def test_learner_comparison_table_and_plot():
    df = simulate_panel(9)
    tab = learner_comparison(df, learners=("ols", "lasso"), y="y", d="d", controls=["x1", "x2", "x3"],
                             entity="city", time="year", n_folds=3, progress=False)
    assert set(tab.columns) >= {"learner", "rep", "fold", "nuisance", "rmse", "estimate", "std_error"}
    assert len(tab) == 2 * 3 * 2
    # same folds for both learners: near-identical linear fits
    est = tab.groupby("learner").estimate.first()
    assert est["ols"] == pytest.approx(est["lasso"], abs=0.05)
    fig = plot_learner_comparison(tab)
    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        (None, dict(controls=["x1", "nope"]), r"not in the data: 'nope'"),
        ("nan", dict(missing="raise"), "missing values in 'x1': 1"),
        ("text", {}, "'x2' is not numeric"),
        ("dup", {}, "duplicated city x year"),
        (None, dict(fe_method="twoway"), "fe_method must be one of"),
        (None, dict(d="const_d"), "no variation left"),
        (None, dict(n_folds=1), "n_folds"),
        (None, dict(learner="xgb"), "unknown learner"),
        (None, dict(entity=None), "needs `entity`"),
    ],
)
def test_bad_input(change, kwargs, message):
    df = simulate_panel(2, n=12, t=4)
    df["const_d"] = np.repeat(np.arange(12.0), 4)  # time-invariant: absorbed by city effects
    if change == "nan":
        df.loc[5, "x1"] = np.nan
    elif change == "text":
        df["x2"] = df["x2"].astype(str)
    elif change == "dup":
        df = pd.concat([df, df.head(1)])
    args = dict(y="y", d="d", controls=["x1", "x2"], entity="city", time="year", learner="ols", progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        fit_dml(df, **args)


@pytest.mark.parametrize("learner, params", [("rf", dict(n_estimators=10)), ("lasso", None),
                                             ("gbm", dict(n_estimators=10)), ("svm", None),
                                             ("stack", dict(rf=dict(n_estimators=10), gbm=dict(n_estimators=10)))])
def test_every_learner_runs(learner, params):
    df = simulate_panel(4, n=20, t=4)
    r = fit_dml(df, y="y", d="d", controls=["x1", "x2", "x3"], entity="city", time="year", learner=learner,
                learner_params=params, n_folds=2, n_jobs=1, progress=False)
    assert np.isfinite(r.params["d"]) and r.bse["d"] > 0 and r.info["learner"] == learner


def test_dummies_with_city_folds_warns():
    df = simulate_panel(4, n=20, t=4)
    with pytest.warns(UserWarning, match="never seen in training"):
        fit_dml(df, y="y", d="d", controls=["x1"], entity="city", time="year", fe_method="dummies", learner="ols",
                n_folds=2, progress=False)
