"""The fixed-effects engine: demeaning strategies, absorbed degrees of freedom, small-sample
conventions, sandwich and fit statistics, checked against LSDV regressions and pyfixest."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.estimators.did.simulate import simulate_staggered_panel
from analysis.estimators.fixed_effects import (
    Demeaner,
    cluster_sums,
    dof_k,
    factorize,
    fit_statistics,
    ols,
    resolve_vcov,
    sandwich,
    small_sample,
)
from analysis.estimators.statistics import ADJ_R2, R2, R2_WITHIN

SSC = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")
EXACT = pf.MapDemeaner(fixef_tol=1e-14)  # pyfixest iterates to 1e-6 by default; ours is exact


def _codes(d: pd.DataFrame, cols) -> list[np.ndarray]:
    return [factorize(d[c].to_numpy())[0] for c in cols]


def test_demeaner_exact_paths_agree():
    """Unbalanced two-way FE: the partitioned (exact) projection equals alternating projections,
    also on a panel made of two disconnected blocks; the balanced one-sweep path equals both."""
    df = simulate_staggered_panel(n_units=60, periods=range(2003, 2013), drop_share=0.3, seed=9)
    block = ((df["city"] < 30) & (df["year"] < 2008)) | ((df["city"] >= 30) & (df["year"] >= 2009))
    for d in (df, df[block]):
        codes = _codes(d, ["city", "year"])
        X = d[["y", "x1", "treat"]].to_numpy()
        exact = Demeaner(codes)
        assert exact.strategy == "partitioned"
        iterative = Demeaner(codes, strategy="alternating projections")
        np.testing.assert_allclose(exact(X), iterative(X), atol=1e-8)
        # residuals are orthogonal to every unit and period dummy
        Xt = exact(X)
        for c in codes:
            sums = np.zeros((c.max() + 1, 3))
            np.add.at(sums, c, Xt)
            assert np.abs(sums).max() < 1e-9
    full = simulate_staggered_panel(n_units=30, periods=range(2003, 2010), seed=1)
    codes = _codes(full, ["city", "year"])
    dm = Demeaner(codes)
    assert dm.strategy == "one sweep"
    X = full[["y", "x1"]].to_numpy()
    it = Demeaner(codes, strategy="alternating projections")
    np.testing.assert_allclose(dm(X), it(X), atol=1e-8)


def test_exact_strategies_equal_the_dummy_regression_to_rounding():
    """One sweep and the partitioned projection are projections, not approximations: the residual of a
    dummy-variable (LSDV) regression to 1e-12."""
    df = simulate_staggered_panel(n_units=40, periods=range(2003, 2011), drop_share=0.25, seed=4)
    X = df[["y", "x1"]].to_numpy()
    D = pd.get_dummies(df[["city", "year"]].astype(str), drop_first=True).to_numpy(float)
    D = np.column_stack([np.ones(len(df)), D])
    lsdv = X - D @ np.linalg.lstsq(D, X, rcond=None)[0]
    dm = Demeaner(_codes(df, ["city", "year"]))
    assert dm.strategy == "partitioned"
    np.testing.assert_allclose(dm(X), lsdv, atol=1e-12 * np.abs(X).max())
    one = Demeaner(_codes(df, ["city"]))
    assert one.strategy == "one sweep"
    np.testing.assert_allclose(one(X), X - df.groupby("city")[["y", "x1"]].transform("mean").to_numpy(), atol=1e-12)


def test_three_sets_use_alternating_projections_and_forced_strategies_must_fit():
    df = simulate_staggered_panel(n_units=40, periods=range(2003, 2011), drop_share=0.2, seed=2)
    df["region"] = df["city"] % 5
    df["rt"] = df["region"] * 100 + df["year"]   # region x year effects, crossed with the city effects
    dm = Demeaner(_codes(df, ["city", "year", "rt"]))
    assert dm.strategy == "alternating projections"
    Xt = dm(df[["y"]].to_numpy())
    for c in dm.fe_codes:
        sums = np.zeros(c.max() + 1)
        np.add.at(sums, c, Xt[:, 0])
        assert np.abs(sums).max() < 1e-7
    assert Demeaner([]).strategy == "none"
    with pytest.raises(ValueError, match="does not fit"):
        Demeaner(_codes(df, ["city", "year"]), strategy="one sweep")   # unbalanced: one sweep is not exact
    with pytest.raises(ValueError, match="does not fit"):
        Demeaner(_codes(df, ["city"]), strategy="partitioned")


def test_absorbed_dof_and_nested_rule():
    """K = slopes + sum(levels) - (n_fe - 1), minus the levels of sets nested in the clusters, plus one per
    nested set; the count does not depend on the order of the fixed effects."""
    df = simulate_staggered_panel(n_units=30, periods=range(2003, 2011), drop_share=0.1, seed=5)
    df["prov"] = df["city"] // 5
    G, T = df["city"].nunique(), df["year"].nunique()
    for order in (["city", "year"], ["year", "city"]):
        dm = Demeaner(_codes(df, order))
        assert dm.absorbed_dof() == G + T - 1
        assert dof_k(2, dm, resolve_vcov(df, None, None)) == 2 + G + T - 1
        assert dof_k(2, dm, resolve_vcov(df, "city", None)) == 2 + T          # city FE nested in city
        assert dof_k(2, dm, resolve_vcov(df, "prov", None)) == 2 + T          # and in provinces
        assert dof_k(2, dm, resolve_vcov(df, "year", None)) == 2 + G          # year FE nested in year
    assert dof_k(2, Demeaner([]), resolve_vcov(df, "city", None)) == 2


def test_small_sample_factors_are_the_pinned_convention():
    assert small_sample("HC1", 100, 10) == (100 / 90, 90.0)
    assert small_sample("iid", 100, 10) == (100 / 90, 90.0)
    f, df = small_sample("CR1", 100, 10, 20)
    assert f == pytest.approx(20 / 19 * 99 / 90, rel=1e-15) and df == 19.0
    assert small_sample("CR1", 100, 10, 20, k_adj=False)[0] == pytest.approx(20 / 19, rel=1e-15)
    with pytest.raises(ValueError, match="unknown"):
        small_sample("HC3", 100, 10)
    codes = np.array([2, 0, 2, 1, 0])
    np.testing.assert_array_equal(cluster_sums(np.arange(5.0), codes), [5.0, 3.0, 2.0])
    np.testing.assert_array_equal(cluster_sums(np.ones((5, 2)), codes), [[2, 2], [1, 1], [2, 2]])


@pytest.mark.parametrize("cluster", [None, "city", "prov"])
def test_sandwich_and_fit_statistics_match_pyfixest(cluster):
    df = simulate_staggered_panel(n_units=50, periods=range(2003, 2012), drop_share=0.2, seed=8)
    df["prov"] = df["city"] // 5
    dm = Demeaner(_codes(df, ["city", "year"]))
    Z = dm(df[["y", "x1", "treat"]].to_numpy())
    spec = resolve_vcov(df, cluster, None)
    beta, resid, bread = ols(Z[:, 0], Z[:, 1:], ["x1", "treat"])
    k = dof_k(2, dm, spec)
    cov, df_t = sandwich(Z[:, 1:], resid, bread, spec, k)
    ref = pf.feols("y ~ x1 + treat | city + year", data=df, vcov={"CRV1": cluster} if cluster else "hetero",
                   ssc=SSC, demeaner=EXACT)
    np.testing.assert_allclose(beta, ref.coef().to_numpy(), rtol=1e-11)
    np.testing.assert_allclose(cov, ref._vcov, rtol=1e-11)
    assert df_t == ref._df_t
    st = fit_statistics(df["y"].to_numpy(), Z[:, 0], resid, 2, dm)
    assert st[R2] == pytest.approx(ref._r2, rel=1e-10)
    assert st[ADJ_R2] == pytest.approx(ref._adj_r2, rel=1e-10)
    assert st[R2_WITHIN] == pytest.approx(ref._r2_within, rel=1e-10)
    iid_spec = resolve_vcov(df, None, "iid")
    iid, _ = sandwich(Z[:, 1:], resid, bread, iid_spec, dof_k(2, dm, iid_spec))
    ref_iid = pf.feols("y ~ x1 + treat | city + year", data=df, vcov="iid", ssc=SSC, demeaner=EXACT)
    np.testing.assert_allclose(iid, ref_iid._vcov, rtol=1e-11)


def test_ols_names_the_culprit_of_a_singular_design():
    df = simulate_staggered_panel(n_units=20, periods=range(2003, 2008), seed=1)
    dm = Demeaner(_codes(df, ["city", "year"]))
    df["const_in_city"] = df["city"] * 2.0
    Z = dm(df[["y", "x1", "const_in_city"]].to_numpy())
    with pytest.raises(ValueError, match=r"singular design: regressor\(s\) \['const_in_city'\] have no variation"):
        ols(Z[:, 0], Z[:, 1:], ["x1", "const_in_city"])
    X = np.column_stack([Z[:, 1], 2 * Z[:, 1]])
    with pytest.raises(ValueError, match=r"singular design: regressor\(s\) \['b'\] are collinear"):
        ols(Z[:, 0], X, ["a", "b"])


def test_every_linear_family_absorbs_effects_through_the_engine():
    """One engine: the families import it, and no other module demeans or sums scores by cluster itself."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "analysis" / "estimators"
    users = ["panel", "iv", "did/core", "did/twfe", "mediation", "threshold", "heterogeneity", "dml/estimator"]
    for name in users:
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert imported & {"analysis.estimators.fixed_effects", "analysis.estimators.panel",
                           "analysis.estimators.did.core"}, name
    for path in root.rglob("*.py"):
        if path.name == "fixed_effects.py":
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
        assert not defined & {"Demeaner", "Absorber", "_sweep", "sandwich", "dof_k", "cluster_meat"}, path.name
        assert "np.add.at(sums, spec.cluster_code" not in text and "np.bincount(groups, weights" not in text, path.name
