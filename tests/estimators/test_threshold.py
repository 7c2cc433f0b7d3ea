"""Hansen (1999) panel threshold model.

Validation convention: Hansen's invest data (565 firms, 1974-1987, lagged regressors of his
paper / xthreg's example), fixed effects removed by within-demeaning, candidate thresholds =
300 grid points (xthreg's default) on the sorted distinct values of q, trim=0.01, sequential
estimation with refinement. Under this convention both published estimates are reproduced
exactly; with grid=400 the second threshold moves one grid point (0.5407, inside the LR set).
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.estimators.panel import fit_fe
from analysis.estimators.threshold import fit_threshold, lr_critical_value, threshold_grid

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "econometrics"
CONTROLS = ["q1", "q2", "q3", "d1", "qd1"]


@pytest.fixture(scope="module")
def hansen():
    return pd.read_csv(REF / "hansen1999_panel_lagged.csv")


@pytest.fixture(scope="module")
def hansen_double(hansen):
    return fit_threshold(hansen, y="i", regime_x="c1", q="d1", controls=CONTROLS, entity="id",
                         time="year", n_thresholds=2, trim=0.01, grid=300, n_boot=[60, 60],
                         seed=7, progress=False)


def _ssr_by_lsdv(df, ths):
    """SSR of the FE regression with the regime interactions built by hand."""
    edges = [-np.inf, *ths, np.inf]
    d = df.copy()
    names = []
    for j in range(len(edges) - 1):
        d[f"r{j}"] = d["c1"] * ((d["d1"] > edges[j]) & (d["d1"] <= edges[j + 1]))
        names.append(f"r{j}")
    return fit_fe(d, "i ~ " + " + ".join(names + CONTROLS) + " | id").info["ssr"]


def test_hansen_grid_contains_published_thresholds(hansen):
    g = threshold_grid(hansen["d1"].to_numpy(), 0.01, 300)
    assert 290 <= len(g) <= 300
    assert 0.0157 in g and 0.53616 in g


def test_default_grid_is_xthregs_and_reproduces_hansen(hansen):
    """Without a ``grid`` argument the search uses xthreg's 300 points and lands on both published
    thresholds (a 400-point grid moves the second one to 0.5407)."""
    import inspect

    assert inspect.signature(fit_threshold).parameters["grid"].default == 300
    r = fit_threshold(hansen, y="i", regime_x="c1", q="d1", controls=CONTROLS, entity="id", time="year",
                      n_thresholds=2, trim=0.01, n_boot=0, progress=False)
    assert r.thresholds == pytest.approx((0.0157, 0.53616), abs=5e-6)
    wide = fit_threshold(hansen, y="i", regime_x="c1", q="d1", controls=CONTROLS, entity="id", time="year",
                         n_thresholds=2, trim=0.01, grid=400, n_boot=0, progress=False)
    assert wide.thresholds[1] == pytest.approx(0.5407, abs=5e-5)


def test_hansen_single_and_double_thresholds(hansen, hansen_double):
    r = hansen_double
    # Hansen (1999): single threshold 0.0157; double thresholds 0.0157 and 0.5362.
    assert r.thresholds[0] == pytest.approx(0.0157, abs=5e-6)
    assert r.thresholds[1] == pytest.approx(0.53616, abs=5e-6)
    assert round(r.thresholds[1], 4) == 0.5362
    single = fit_threshold(hansen, y="i", regime_x="c1", q="d1", controls=CONTROLS, entity="id",
                           time="year", grid=300, n_boot=0, progress=False)
    assert single.thresholds == (0.0157,)
    ci = r.conf_int_thresholds
    assert ci.loc["gamma1", "lower"] <= 0.0157 <= ci.loc["gamma1", "upper"]
    assert ci.loc["gamma2", "lower"] <= 0.5362 <= ci.loc["gamma2", "upper"]
    lr1 = r.info["lr_curves"]["gamma1"]
    assert lr1["LR"].min() == pytest.approx(0.0, abs=1e-12)
    assert lr_critical_value(0.95) == pytest.approx(7.35, abs=0.01)


def test_hansen_ssr_agree_with_direct_regressions(hansen, hansen_double):
    """S_0, S_1, S_2 of the vectorised search equal the SSR of the FE regressions at the estimates."""
    r = hansen_double
    s0 = fit_fe(hansen, "i ~ c1 + " + " + ".join(CONTROLS) + " | id").info["ssr"]
    assert r.ssr[0] == pytest.approx(s0, rel=1e-10)
    assert r.ssr[1] == pytest.approx(_ssr_by_lsdv(hansen, [0.0157]), rel=1e-10)
    assert r.ssr[2] == pytest.approx(_ssr_by_lsdv(hansen, list(r.thresholds)), rel=1e-10)
    assert r.ssr[1] == pytest.approx(17.78165, abs=5e-5)   # pinned: within-SSR at gamma = 0.0157
    # F1 = (S0 - S1) / (S1 / (n (T - 1))), Hansen's definition
    n_within = 565 * 13
    assert r.f_stats[0] == pytest.approx((r.ssr[0] - r.ssr[1]) / (r.ssr[1] / n_within), rel=1e-10)
    # Hansen finds a strongly significant first threshold
    assert r.boot_pvalues[0] < 0.05
    assert r.crit_values.shape == (2, 3)
    # regime SSR used for SE: the result's SSR equals the last model's
    assert r.info["ssr"] == pytest.approx(r.ssr[2], rel=1e-10)


def _sim(seed, n=120, t=8, gamma=0.0, beta=(1.0, -1.0), self_threshold=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    mu = rng.normal(size=n)[df["id"]]
    df["x"] = rng.normal(size=len(df)) + 0.3 * mu
    df["q"] = df["x"] if self_threshold else rng.normal(size=len(df))
    df["z"] = rng.normal(size=len(df))
    b = np.where(df["q"] <= gamma, beta[0], beta[1])
    df["y"] = mu + b * df["x"] + 0.5 * df["z"] + rng.normal(size=len(df))
    return df


def test_monte_carlo_recovery_and_coverage():
    """Known threshold 0: estimate close; 95% CI of the regime slopes covers ~95% (40 draws)."""
    cover, gam = [], []
    for rep in range(40):
        df = _sim(1000 + rep)
        r = fit_threshold(df, y="y", regime_x="x", q="q", controls=["z"], entity="id", time="year",
                          n_boot=0, grid=100, progress=False)
        gam.append(r.thresholds[0])
        ci = r.conf_int()
        cover.append(ci.loc["x_regime1", "lower"] <= 1.0 <= ci.loc["x_regime1", "upper"])
    assert abs(np.median(gam)) < 0.05
    assert abs(np.mean(cover) - 0.95) < 0.12   # binomial sd 0.034 with 40 draws


def test_bootstrap_size_and_power_self_threshold():
    """Threshold variable = regime regressor (study 004). No threshold: p not small; threshold: p ~ 0."""
    null = _sim(5, beta=(0.7, 0.7), self_threshold=True)
    alt = _sim(6, beta=(0.2, 1.2), self_threshold=True)
    kw = dict(y="y", regime_x="x", q="x", controls=["z"], entity="id", time="year", grid=80,
              n_boot=99, seed=3, progress=False)
    p_null = fit_threshold(null, **kw).boot_pvalues[0]
    p_alt = fit_threshold(alt, **kw).boot_pvalues[0]
    assert p_alt < 0.02
    assert p_null > 0.05
    # same seed -> same bootstrap
    assert fit_threshold(alt, **kw).boot_pvalues == fit_threshold(alt, **kw).boot_pvalues


def test_triple_runs_and_orders_thresholds():
    df = _sim(9)
    r = fit_threshold(df, y="y", regime_x="x", q="q", controls=["z"], entity="id", time="year",
                      n_thresholds=3, trim=[0.05, 0.05, 0.05], n_boot=[20, 20, 20], grid=60,
                      seed=1, progress=False)
    assert list(r.thresholds) == sorted(r.thresholds) and len(r.thresholds) == 3
    assert len(r.ssr) == 4 and all(np.diff(r.ssr) <= 1e-9)
    assert len(r.params) == 4 + 1 and len(r.boot_pvalues) == 3
    assert "single" in r.summary()


def test_bad_input():
    df = _sim(1)
    kw = dict(y="y", regime_x="x", q="q", controls=["z"], entity="id", time="year", n_boot=0, progress=False)
    with pytest.raises(ValueError, match="unbalanced"):
        fit_threshold(df.iloc[1:], **kw)
    with pytest.raises(ValueError, match="missing values in 'q': 1"):
        fit_threshold(df.assign(q=df["q"].where(df.index != 5)), missing="raise", **kw)
    with pytest.raises(ValueError, match="unbalanced.*after dropping 1 rows with missing values"):
        fit_threshold(df.assign(q=df["q"].where(df.index != 5)), **kw)
    with pytest.raises(ValueError, match="n_thresholds"):
        fit_threshold(df, n_thresholds=4, **kw)
    with pytest.raises(ValueError, match="singular"):
        fit_threshold(df.assign(z=df["id"] * 1.0), **kw)
