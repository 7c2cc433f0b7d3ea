"""PSM-DID: matching mechanics (nearest neighbour, caliper, replacement), balance table, and bias
removal when treated cities select on a variable that also drives their trend."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from analysis.estimators.did import fit_twfe_did, psm_did
from analysis.estimators.statistics import MEAN_ABS_BIAS_AFTER, MEAN_ABS_BIAS_BEFORE, N_UNMATCHED_TREATED


def _selection_panel(seed: int, n: int = 160, T: int = 10) -> pd.DataFrame:
    """Ever-treated units have higher x, and x drives a unit-specific trend: naive TWFE is biased
    (true effect -0.5), matching on x removes the bias."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    ever = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.5 * x)))
    g = np.where(ever, rng.choice([2007, 2010], n), 0)
    u, yr = np.repeat(np.arange(n), T), np.tile(np.arange(2003, 2003 + T), n)
    d = ((g[u] > 0) & (yr >= g[u])).astype(float)
    y = rng.normal(size=n)[u] + 0.15 * x[u] * (yr - 2003) - 0.5 * d + rng.normal(scale=0.3, size=len(u))
    return pd.DataFrame({"city": u, "year": yr, "x": x[u] + rng.normal(scale=0.2, size=len(u)),
                         "z": rng.normal(size=len(u)), "d": d, "y": y})


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return _selection_panel(1)


def test_nearest_neighbour_with_replacement_is_nearest(df):
    r = psm_did(df, y="y", treat="d", entity="city", time="year", match_on=["x"], controls=[], seed=0)
    m = r.matched
    treated, controls = m[m["treated_group"] == 1], m[m["treated_group"] == 0]
    # every treated row matched (no caliper), weights of controls sum to the matched treated rows
    assert r.stats[N_UNMATCHED_TREATED] == 0
    assert controls["match_weight"].sum() == pytest.approx(len(treated))
    # the used controls are exactly the nearest control rows of the treated scores (brute force)
    full = df.assign(group=df.groupby("city")["d"].transform("max"))
    import statsmodels.api as sm

    X = sm.add_constant(full[["x"]].to_numpy())
    p = sm.Logit(full["group"].to_numpy(), X).fit(disp=0).predict(X)
    pt, pc = p[full["group"] == 1], p[full["group"] == 0]
    nearest = np.unique(np.abs(pt[:, None] - pc[None, :]).argmin(axis=1))
    assert len(controls) == len(nearest)
    np.testing.assert_allclose(np.sort(controls["pscore"].to_numpy()), np.sort(pc[nearest]), rtol=1e-6)


def test_caliper_and_without_replacement(df):
    r = psm_did(df, y="y", treat="d", entity="city", time="year", match_on=["x"], controls=[],
                caliper=0.001, replace=False, seed=3)
    m = r.matched
    c = m[m["treated_group"] == 0]
    assert (c["match_weight"] == 1.0).all()  # each control used once
    assert r.stats[N_UNMATCHED_TREATED] > 0  # the tight caliper drops some treated rows
    tr = m[m["treated_group"] == 1]
    # every kept treated row has a control within the caliper
    gap = np.abs(tr["pscore"].to_numpy()[:, None] - c["pscore"].to_numpy()[None, :]).min(axis=1)
    assert (gap <= 0.001 + 1e-9).all()


def test_balance_table_and_bias_removal(df):
    naive = fit_twfe_did(df, y="y", treat="d", entity="city", time="year").params["d"]
    r = psm_did(df, y="y", treat="d", entity="city", time="year", match_on=["x", "z"],
                controls=[], seed=1, caliper=0.05)
    b = r.balance.set_index("covariate")
    assert list(b.index) == ["x", "z", "pscore"]
    # psmatch2 pstest convention: 100 (mT - mC) / sqrt((vT + vC)/2) with unmatched variances
    grp = df.groupby("city")["d"].transform("max")
    xt, xc = df.loc[grp == 1, "x"], df.loc[grp == 0, "x"]
    sb = 100 * (xt.mean() - xc.mean()) / np.sqrt((xt.var() + xc.var()) / 2)
    assert b.loc["x", "std_bias_before"] == pytest.approx(sb, rel=1e-10)
    assert abs(b.loc["x", "std_bias_before"]) > 50
    assert abs(b.loc["x", "std_bias_after"]) < 5
    assert b.loc["x", "p_after"] > 0.05
    assert np.isfinite(naive) and np.isfinite(r.params["d"])
    assert len(r.plot_balance().axes) == 1


def test_matching_removes_most_of_the_selection_bias():
    """Over 8 simulated panels the naive TWFE bias is about +0.8 (SD 0.13 across draws); PSM-DID
    cuts the mean bias to below a quarter of it (about 0.07 in a 30-draw pilot)."""
    naive, psm = [], []
    for seed in range(8):
        d = _selection_panel(100 + seed)
        naive.append(fit_twfe_did(d, y="y", treat="d", entity="city", time="year").params["d"] + 0.5)
        psm.append(psm_did(d, y="y", treat="d", entity="city", time="year", match_on=["x", "z"],
                           controls=[], seed=1, caliper=0.05).params["d"] + 0.5)
    assert np.mean(naive) > 0.5
    assert abs(np.mean(psm)) < 0.25 * np.mean(naive)


@pytest.mark.parametrize("kw", [dict(matching="year"), dict(link="probit", n_neighbors=3)])
def test_variants_run_and_reduce_bias(df, kw):
    r = psm_did(df, y="y", treat="d", entity="city", time="year", match_on=["x"], controls=[],
                seed=2, **kw)
    assert r.stats[MEAN_ABS_BIAS_AFTER] < 0.25 * r.stats[MEAN_ABS_BIAS_BEFORE]
    assert r.info["matching"] == kw.get("matching", "pooled")
    again = psm_did(df, y="y", treat="d", entity="city", time="year", match_on=["x"], controls=[],
                    seed=2, **kw)
    assert again.params["d"] == r.params["d"]


def test_bad_input(df):
    with pytest.raises(ValueError, match="link"):
        psm_did(df, y="y", treat="d", entity="city", time="year", match_on=["x"], link="cloglog")
    with pytest.raises(ValueError, match="covariate"):
        psm_did(df, y="y", treat="d", entity="city", time="year", match_on=[])
    sep = df.assign(s=df.groupby("city")["d"].transform("max"))
    with pytest.raises(ValueError, match="separat|failed"):
        psm_did(sep, y="y", treat="d", entity="city", time="year", match_on=["s"], controls=[])
    with pytest.raises(ValueError, match="never-treated"):
        psm_did(df.assign(d=1.0), y="y", treat="d", entity="city", time="year", match_on=["x"])
