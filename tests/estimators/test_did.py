"""TWFE DID, event study and placebo: agreement with pyfixest, conventions, bad input.

Convention under test: HC1 when ``cluster`` is None, CRV1 with pyfixest's
``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")`` when clustered (set explicitly
on the pyfixest side, because with two FE and clusters its default df count can depend on FE order).
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.estimators.did import event_study, fit_twfe_did, placebo
from analysis.estimators.did.simulate import simulate_staggered_panel
from analysis.estimators.statistics import ADJ_R2, N_CLUSTERS, R2, R2_WITHIN

SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_staggered_panel(n_units=120, periods=range(2003, 2016), cohorts=(2007, 2010, 2013),
                                    share_treated=0.4, drop_share=0.15, seed=11)


@pytest.mark.parametrize("cluster", [None, "city"])
def test_twfe_matches_pyfixest(panel, cluster):
    ours = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year", controls=["x1"],
                        cluster=cluster)
    vcov = {"CRV1": "city"} if cluster else "hetero"
    ref = pf.feols("y ~ treat + x1 | city + year", data=panel, vcov=vcov, ssc=SSC)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.coef().to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.bse.to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(ours.pvalues.to_numpy(), ref.pvalue().to_numpy(), rtol=1e-6, atol=1e-12)
    assert ours.df_resid == ref._df_t
    assert ours.stats[R2] == pytest.approx(ref._r2, rel=1e-9)
    assert ours.stats[ADJ_R2] == pytest.approx(ref._adj_r2, rel=1e-9)
    assert ours.stats[R2_WITHIN] == pytest.approx(ref._r2_within, rel=1e-9)
    assert ours.nobs == ref._N
    assert ours.info["vcov"] == ("CR1" if cluster else "HC1")
    assert ours.stats.get(N_CLUSTERS) == (panel["city"].nunique() if cluster else None)


def test_twfe_small_sample_convention_is_explicit(panel):
    """CRV1 factor = G/(G-1) (N-1)/(N-K), K = slopes + T (year FE, city FE nested in clusters)."""
    r = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year", cluster="city")
    T = panel["year"].nunique()
    assert r.info["df_k"] == 1 + T
    assert r.df_resid == panel["city"].nunique() - 1
    h = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year")
    assert h.info["df_k"] == 1 + panel["city"].nunique() + T - 1
    assert h.df_resid == len(panel) - h.info["df_k"]


def test_lag_and_exclude(panel):
    lagged = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year", lag=1, cluster="city")
    p = panel.copy()
    p["treat_L1"] = p.merge(p.assign(year=p["year"] + 1)[["city", "year", "treat"]],
                            on=["city", "year"], how="left", suffixes=("_x", ""))["treat"].to_numpy()
    ref = pf.feols("y ~ treat_L1 | city + year", data=p.dropna(subset=["treat_L1"]),
                   vcov={"CRV1": "city"}, ssc=SSC)
    assert lagged.params.index.tolist() == ["treat_L1"]
    np.testing.assert_allclose(lagged.params.iloc[0], ref.coef().iloc[0], rtol=1e-9)
    assert lagged.nobs == ref._N < len(panel)
    drop = panel["city"] < 10
    ex = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year", exclude=drop.to_numpy())
    ref2 = fit_twfe_did(panel.loc[~drop], y="y", treat="treat", entity="city", time="year")
    assert ex.params.iloc[0] == pytest.approx(ref2.params.iloc[0], rel=1e-12)
    assert ex.info["n_excluded"] == int(drop.sum())
    ex2 = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year", exclude={"city": range(10)})
    assert ex2.params.iloc[0] == pytest.approx(ref2.params.iloc[0], rel=1e-12)


def test_event_study_matches_pyfixest_binned(panel):
    es = event_study(panel, y="y", entity="city", time="year", cohort="cohort", window=(-4, 2),
                     base=-1, cluster="city", controls=["x1"])
    p = panel.copy()
    rel = np.where(p["cohort"] > 0, np.clip(p["year"] - p["cohort"], -4, 2), -1000)
    p["rel"] = rel  # never treated: a reference level of their own, dropped below
    dummies = pd.get_dummies(p["rel"], prefix="r", dtype=float)
    keep = [f"r_{r}" for r in (-4, -3, -2, 0, 1, 2)]
    p = pd.concat([p, dummies[keep].rename(columns=lambda c: c.replace("-", "m"))], axis=1)
    rhs = " + ".join(k.replace("-", "m") for k in keep)
    ref = pf.feols(f"y ~ {rhs} + x1 | city + year", data=p, vcov={"CRV1": "city"}, ssc=SSC)
    np.testing.assert_allclose(es.params.to_numpy(), ref.coef().to_numpy()[:6], rtol=1e-8)
    np.testing.assert_allclose(es.bse.to_numpy(), ref.se().to_numpy()[:6], rtol=1e-7)
    assert list(es.params.index) == ["t-4", "t-3", "t-2", "t", "t+1", "t+2"]
    # joint pre-trend Wald statistic equals b' V^-1 b from pyfixest's coefficients and vcov
    b_ref, V_ref = ref.coef().to_numpy()[:3], np.asarray(ref._vcov)[:3, :3]
    chi2_ref = float(b_ref @ np.linalg.solve(V_ref, b_ref))
    pt = es.pretrend_test()
    assert pt["chi2"] == pytest.approx(chi2_ref, rel=1e-6)
    assert pt["F"] == pytest.approx(chi2_ref / 3, rel=1e-6) and pt["df_den"] == panel["city"].nunique() - 1
    fig = es.plot()
    assert len(fig.axes) == 1
    co = es.coefficients()
    assert co.loc[co["rel_time"] == -1, "estimate"].item() == 0.0


def test_event_study_unbinned_drops_outside_rows(panel):
    es = event_study(panel, y="y", entity="city", time="year", cohort="cohort", bin_endpoints=False)
    rel = panel["year"] - panel["cohort"]
    outside = (panel["cohort"] > 0) & ((rel < -4) | (rel > 2))
    assert es.nobs == len(panel) - int(outside.sum())


def test_placebo_vectorised_equals_refit(panel):
    """Each vectorised draw equals a full refit with the same pseudo treatment (units, timing, both)."""
    for how in ("units", "timing", "both"):
        res = placebo(panel, y="y", entity="city", time="year", cohort="cohort", n_draws=6,
                      reassign=how, seed=5, controls=["x1"], cluster="city", progress=False,
                      chunk_size=4)
        # rebuild the draws with each chunk's generator (the seed's children 0 and 1) and refit each
        from analysis.estimators.did.twfe import _draw_cohorts
        from analysis.estimators.fixed_effects import factorize
        codes, n_units = factorize(panel["city"].to_numpy())
        g = np.where(panel["cohort"] > 0, panel["cohort"], np.inf).astype(float)
        true_g = pd.Series(g).groupby(codes).first().to_numpy()
        first, second = (np.random.default_rng(child) for child in np.random.SeedSequence(5).spawn(2))
        periods = np.sort(panel["year"].unique()).astype(float)
        draws = np.column_stack([_draw_cohorts(first, n_units, true_g, periods, how, 4),
                                 _draw_cohorts(second, n_units, true_g, periods, how, 2)])
        for b in range(6):
            d = panel.assign(pseudo=(panel["year"].to_numpy() >= draws[codes, b]).astype(float))
            ref = fit_twfe_did(d, y="y", treat="pseudo", entity="city", time="year", controls=["x1"],
                               cluster="city")
            assert res.draws["estimate"].iloc[b] == pytest.approx(ref.params["pseudo"], rel=1e-7, abs=1e-10)
            assert res.draws["std_error"].iloc[b] == pytest.approx(ref.bse["pseudo"], rel=1e-6)


def test_placebo_distribution_and_pvalue():
    df = simulate_staggered_panel(n_units=80, periods=range(2003, 2015), cohorts=(2008, 2011),
                                  share_treated=0.3, effect=lambda e: -0.6 + 0 * e, seed=2)
    res = placebo(df, y="y", entity="city", time="year", cohort="cohort", n_draws=300,
                  reassign="units", seed=1, progress=False)
    d = res.draws["estimate"]
    assert res.estimate == pytest.approx(-0.6, abs=0.15)
    assert abs(d.mean()) < 3 * d.std() / np.sqrt(len(d)) + 0.02  # centred on zero
    assert res.p_value_two_sided < 0.01
    again = placebo(df, y="y", entity="city", time="year", cohort="cohort", n_draws=300,
                    reassign="units", seed=1, progress=False)
    pd.testing.assert_frame_equal(res.draws, again.draws)
    assert len(res.plot().axes) == 1
    null = placebo(df.assign(y=df["y"] - df["tau"]), y="y", entity="city", time="year",
                   cohort="cohort", n_draws=300, seed=1, progress=False)
    assert null.p_value_two_sided > 0.01


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y="nope"), "not in the data"),
        (dict(treat="label"), "must be numeric"),
        (dict(treat="x1"), "0/1"),
        (dict(lag=-1), "lag"),
    ],
)
def test_bad_input(panel, kwargs, match):
    base = dict(y="y", treat="treat", entity="city", time="year")
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit_twfe_did(panel.assign(label="a"), **base)


def test_bad_input_nan_duplicates_singular(panel):
    bad = panel.copy()
    bad.loc[bad.index[3], "treat"] = np.nan
    with pytest.raises(ValueError, match="missing values in 'treat': 1"):
        fit_twfe_did(bad, y="y", treat="treat", entity="city", time="year", missing="raise")
    with pytest.raises(ValueError, match="duplicated"):
        fit_twfe_did(pd.concat([panel, panel.head(1)]), y="y", treat="treat", entity="city", time="year")
    with pytest.raises(ValueError, match="singular design"):
        fit_twfe_did(panel.assign(c=panel["year"] * 2.0), y="y", treat="treat", entity="city",
                     time="year", controls=["c"])
    with pytest.raises(ValueError, match="reassign"):
        placebo(panel, y="y", entity="city", time="year", cohort="cohort", reassign="cities")
