"""Multiway clustering and Conley spatial-HAC standard errors (``analysis.estimators.covariance`` through the
engine: ``fit_fe(cluster=[a, b])``, ``fit_fe(vcov=Conley(...))``, and the same in ``fit_iv``).

Validation:
* multiway (Cameron-Gelbach-Miller) against pyfixest's ``CRV1`` with two cluster variables under the engine's
  explicit small-sample convention ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")``: SEs to
  1e-9 relative, with fixed effects nested in a cluster dimension and not, and the t df (min(G) - 1);
* Conley against a brute-force double loop over every pair of observations (the weight of a pair is the
  distance kernel when both are in the same period, plus the Bartlett serial weight when both are the same
  unit 1..L periods apart): the meat to 1e-10 relative, Bartlett and uniform kernels, with and without lags;
* Conley's limiting cases: a cutoff below every distance with no lags is HC1 exactly; the uniform kernel with
  a cutoff above every distance and no lags is the cluster-by-period meat.
No published Conley example ships with the peers on PyPI, so the brute-force loop is the reference.
"""
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.estimators import fit_fe, fit_iv
from analysis.estimators.covariance import Conley
from analysis.estimators.fixed_effects import meat, resolve_vcov, within_design


def panel(n_units=40, T=8, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n_units), T), "year": np.tile(np.arange(2010, 2010 + T), n_units)})
    df["region"] = df["unit"] % 7
    lon, lat = rng.uniform(100, 120, n_units), rng.uniform(22, 40, n_units)
    df["lon"], df["lat"] = lon[df.unit], lat[df.unit]
    common = rng.normal(size=T)[df.year - 2010]
    df["x"] = rng.normal(size=len(df)) + 0.5 * common
    df["w"] = rng.normal(size=len(df))
    df["z"] = 0.7 * df["x"] + rng.normal(size=len(df))
    spatial = np.sin(df.lon / 3) * common
    df["y"] = 0.5 * df.x - 0.2 * df.w + rng.normal(size=n_units)[df.unit] + common + spatial + rng.normal(size=len(df))
    return df


def distances(df):
    units = df.drop_duplicates("unit").set_index("unit")[["lon", "lat"]]
    lon, lat = np.radians(units.lon.to_numpy()), np.radians(units.lat.to_numpy())
    a = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
         + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
    return pd.DataFrame(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1))), index=units.index, columns=units.index)


SSC = dict(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")


@pytest.mark.parametrize("formula,clusters", [
    ("y ~ x + w | unit", ["region", "year"]),
    ("y ~ x + w | unit + year", ["unit", "year"]),       # unit FE nested in a cluster dimension
    ("y ~ x + w | year", ["region", "year"]),
    ("y ~ x + w", ["region", "year"]),
])
def test_multiway_equals_pyfixest(formula, clusters):
    df = panel()
    ours = fit_fe(df, formula, cluster=clusters)
    peer = pf.feols(formula, data=df, vcov={"CRV1": "+".join(clusters)}, ssc=pf.ssc(**SSC))
    names = [n for n in ours.params.index]
    assert np.isfinite(ours.bse).all()
    np.testing.assert_allclose(ours.params[names], peer.coef()[names], rtol=1e-10)
    np.testing.assert_allclose(ours.bse[names], peer.se()[names], rtol=1e-9)
    g_min = min(df[c].nunique() for c in clusters)
    assert ours.df_resid == g_min - 1 and ours.stats["N_clusters"] == g_min
    assert ours.info["cluster"] == clusters
    one = fit_fe(df, formula, cluster=clusters[0])
    assert not np.allclose(one.bse, ours.bse)


def test_multiway_in_iv_uses_the_same_meat():
    df = panel()
    res = fit_iv(df, "y ~ w | unit + year | x ~ z", cluster=["region", "year"])
    peer = pf.feols("y ~ w | unit + year | x ~ z", data=df, vcov={"CRV1": "region+year"}, ssc=pf.ssc(**SSC))
    np.testing.assert_allclose(res.bse[["w", "x"]], peer.se()[["w", "x"]], rtol=1e-9)


def brute_force_meat(scores, unit, time, D, cutoff, kernel, lags):
    n = len(scores)
    out = np.zeros((scores.shape[1], scores.shape[1]))
    for i in range(n):
        for j in range(n):
            w = 0.0
            if time[i] == time[j]:
                d = D[unit[i], unit[j]]
                w += (1.0 if d <= cutoff else 0.0) if kernel == "uniform" else max(0.0, 1 - d / cutoff)
            if unit[i] == unit[j] and 0 < abs(time[i] - time[j]) <= lags:
                w += 1 - abs(time[i] - time[j]) / (lags + 1)
            if w:
                out += w * np.outer(scores[i], scores[j])
    return out


@pytest.mark.parametrize("kernel,lags,cutoff", [("bartlett", 0, 600.0), ("bartlett", 2, 600.0),
                                                ("uniform", 0, 400.0), ("uniform", 3, 900.0)])
def test_conley_meat_equals_brute_force(kernel, lags, cutoff):
    df = panel(n_units=18, T=6, seed=1).sample(frac=0.9, random_state=2)   # unbalanced, shuffled rows
    D = distances(df)
    con = Conley(cutoff, D, entity="unit", time="year", kernel=kernel, lags=lags)
    d = within_design(df, y="y", regressors=["x", "w"], fe=["unit", "year"], vcov=con)
    res = fit_fe(df, "y ~ x + w | unit + year", vcov=con)
    scores = d.X * res.info["resid"][:, None]
    unit = D.index.get_indexer(df.unit.to_numpy())
    ref = brute_force_meat(scores, unit, df.year.to_numpy(), D.to_numpy(), cutoff, kernel, lags)
    np.testing.assert_allclose(meat(scores, d.vcov), ref, rtol=1e-10, atol=1e-12)
    n, k_dof = len(df), res.info["df_k"]
    bread = np.linalg.inv(d.X.T @ d.X)
    np.testing.assert_allclose(res.cov.to_numpy(), n / (n - k_dof) * bread @ ref @ bread, rtol=1e-9)
    assert res.info["vcov"] == "Conley" and res.df_resid == n - k_dof


def test_conley_limits_hc1_and_period_clusters():
    df = panel()
    D = distances(df)
    hc1 = fit_fe(df, "y ~ x + w | unit + year", vcov="HC1")
    tiny = fit_fe(df, "y ~ x + w | unit + year", vcov=Conley(1e-3, D, entity="unit", time="year"))
    np.testing.assert_allclose(tiny.cov.to_numpy(), hc1.cov.to_numpy(), rtol=1e-12)
    wide = Conley(1e5, D, entity="unit", time="year", kernel="uniform")
    spec = resolve_vcov(df, None, wide)
    by_year = resolve_vcov(df, "year", None)
    scores = np.random.default_rng(3).normal(size=(len(df), 3))
    np.testing.assert_allclose(meat(scores, spec), meat(scores, by_year), rtol=1e-12)
    near = fit_fe(df, "y ~ x + w | unit + year", vcov=Conley(500, D, entity="unit", time="year", lags=2))
    assert not np.allclose(near.bse, hc1.bse)


def test_bad_input():
    df = panel()
    D = distances(df)
    with pytest.raises(ValueError, match="no row in the Conley distance matrix"):
        fit_fe(df, "y ~ x | unit", vcov=Conley(100, D.iloc[:-1, :-1], entity="unit", time="year"))
    with pytest.raises(ValueError, match="kernel"):
        Conley(100, D, entity="unit", time="year", kernel="gaussian")
    with pytest.raises(ValueError, match="cutoff_km"):
        Conley(0, D, entity="unit", time="year")
    with pytest.raises(ValueError, match="not in the data"):
        fit_fe(df, "y ~ x | unit", cluster=["region", "nope"])
    with pytest.raises(ValueError, match="either cluster or a Conley"):
        fit_fe(df, "y ~ x | unit", cluster="region", vcov=Conley(100, D, entity="unit", time="year"))
