"""Panel FE: equality with pyfixest under an explicit small-sample convention, Monte Carlo
coverage, winsorising and bad input.

Convention asserted: CR1 = G/(G-1) * (N-1)/(N-K), K = slopes + FE df not nested in the clusters
(+1 per nested set), t(G-1) -- pyfixest ssc(k_adj=True, k_fixef="nonnested", G_adj=True,
G_df="min"); HC1 = N/(N-K) with all FE counted, t(N-K).
"""
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.estimators.panel import fit_fe, stepwise_fe, winsorize

SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")


def _panel(seed=0, n=60, t=8, beta=(0.5, -0.3), drop=0.1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"city": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    df["prov"] = df["city"] // 6
    a = rng.normal(size=n)[df["city"]]
    df["x1"] = rng.normal(size=len(df)) + 0.5 * a
    df["x2"] = rng.normal(size=len(df))
    u = rng.normal(size=n)[df["city"]] * 0.5 + rng.normal(size=len(df)) * (1 + np.abs(df["x1"]))
    df["y"] = beta[0] * df["x1"] + beta[1] * df["x2"] + a + 0.1 * df["year"] + u
    if drop:
        df = df.sample(frac=1 - drop, random_state=seed).reset_index(drop=True)
    return df


@pytest.mark.parametrize(
    "formula,cluster",
    [
        ("y ~ x1 + x2 | city + year", "city"),   # city FE nested in clusters
        ("y ~ x1 + x2 | city + year", "prov"),   # city FE nested in provinces
        ("y ~ x1 + x2 | year", "city"),          # nothing nested
        ("y ~ x1 + x2 | city + year", None),     # HC1
        ("y ~ x1 + x2 | city", None),
        ("y ~ x1 + x2", None),                   # pooled OLS with intercept
    ],
)
def test_matches_pyfixest_with_explicit_ssc(formula, cluster):
    df = _panel()
    ours = fit_fe(df, formula, cluster=cluster)
    ref = pf.feols(formula, df, vcov={"CRV1": cluster} if cluster else "hetero", ssc=SSC)
    np.testing.assert_allclose(ours.params.values, ref.coef().values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.bse.values, ref.se().values, rtol=1e-7)
    np.testing.assert_allclose(ours.pvalues.values, ref.pvalue().values, rtol=1e-6, atol=1e-12)
    if cluster:
        assert ours.df_resid == df[cluster].nunique() - 1


def test_cluster_convention_hand_computed():
    """CR1 factor with city FE nested in city clusters: K = k + T (year FE df + 1 nested set)."""
    df = _panel(drop=0)
    r = fit_fe(df, "y ~ x1 + x2 | city + year", cluster="city")
    n, g, t = len(df), df["city"].nunique(), df["year"].nunique()
    assert r.info["df_k"] == 2 + (g + t - 1) - g + 1 == 2 + t
    # rebuild the sandwich by hand from LSDV
    X = pd.get_dummies(df[["city", "year"]].astype(str), drop_first=True).to_numpy(float)
    X = np.column_stack([df[["x1", "x2"]].to_numpy(), np.ones(n), X])
    b, *_ = np.linalg.lstsq(X, df["y"].to_numpy(), rcond=None)
    e = df["y"].to_numpy() - X @ b
    ib = np.linalg.pinv(X.T @ X)
    s = np.zeros((g, X.shape[1]))
    np.add.at(s, df["city"].to_numpy(), X * e[:, None])
    v = ib @ (s.T @ s) @ ib * g / (g - 1) * (n - 1) / (n - (2 + t))
    np.testing.assert_allclose(r.params.values, b[:2], rtol=1e-8)
    np.testing.assert_allclose(r.bse.values, np.sqrt(np.diag(v))[:2], rtol=1e-6)


def test_monte_carlo_coverage_two_way_cluster():
    """60 replications: the 95% cluster CI covers the true slope in about 95% of draws."""
    cover, est = [], []
    for rep in range(60):
        df = _panel(seed=100 + rep, n=50, t=6, drop=0)
        r = fit_fe(df, "y ~ x1 + x2 | city + year", cluster="city")
        ci = r.conf_int().loc["x1"]
        cover.append(ci["lower"] <= 0.5 <= ci["upper"])
        est.append(r.params["x1"])
    # binomial sd of the coverage with 60 draws is 0.028: accept 0.95 +- 3.5 sd
    assert abs(np.mean(cover) - 0.95) < 0.10
    assert abs(np.mean(est) - 0.5) < 3 * np.std(est) / np.sqrt(60) + 0.01


def test_stepwise_and_winsorize():
    df = _panel(drop=0)
    fits, table = stepwise_fe(df, y="y", x="x1", controls=["x2"], fe=["city", "year"], cluster="city")
    assert len(fits) == 2 and list(fits[0].params.index) == ["x1"]
    assert list(fits[1].params.index) == ["x1", "x2"] and table.shape[1] == 2
    w = winsorize(df, ["x1"], lower=0.05)
    assert w["x1"].min() == pytest.approx(df["x1"].quantile(0.05))
    assert w["x1"].max() == pytest.approx(df["x1"].quantile(0.95))
    assert (w["x2"] == df["x2"]).all()


def test_bad_input_messages():
    df = _panel()
    with pytest.raises(ValueError, match="not in the data"):
        fit_fe(df, "y ~ nope | city")
    bad = df.assign(x1=df["x1"].astype(str))
    with pytest.raises(ValueError, match="not numeric"):
        fit_fe(bad, "y ~ x1 | city")
    nan = df.copy()
    nan.loc[3, "x2"] = np.nan
    with pytest.raises(ValueError, match="missing values in 'x2': 1"):
        fit_fe(nan, "y ~ x1 + x2 | city", missing="raise")
    with pytest.raises(ValueError, match="singular design"):
        fit_fe(df.assign(c=df["city"] * 2.0), "y ~ x1 + c | city")
    with pytest.raises(ValueError, match="fit_iv"):
        fit_fe(df, "y ~ x2 | city | x1 ~ prov")


def test_fe_order_does_not_change_the_convention():
    """pyfixest's nested-FE count can depend on FE order; ours must not (K = k + T here)."""
    df = _panel(3)
    a = fit_fe(df, "y ~ x1 + x2 | city + year", cluster="city")
    b = fit_fe(df, "y ~ x1 + x2 | year + city", cluster="city")
    np.testing.assert_allclose(a.params.values, b.params.values, rtol=1e-9)
    np.testing.assert_allclose(a.bse.values, b.bse.values, rtol=1e-9)
    assert a.info["df_k"] == b.info["df_k"] == 2 + df["year"].nunique()
