"""The result object's covariance and statistic names, and the publication table ``etable``.

The central promise: a row asking for the within R² gets the within R² from every estimator family
that has one (checked against an independent LSDV computation, never equal to the overall R²), and
a clear "not defined" from the others -- never a neighbouring statistic.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis.estimators import (
    EstimationResult,
    callaway_santanna,
    compare_groups,
    etable,
    event_study,
    fit_dml,
    fit_fe,
    fit_iv,
    fit_mediation,
    fit_spatial_panel,
    fit_system_gmm,
    fit_threshold,
    fit_twfe_did,
    imputation_did,
    psm_did,
    sun_abraham,
)
from analysis.estimators import statistics as st
from analysis.estimators.did.simulate import simulate_staggered_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """A balanced 36 x 8 panel on a 6 x 6 lattice with an instrument, a mediator and a staggered policy."""
    rng = np.random.default_rng(5)
    n, t = 36, 8
    df = pd.DataFrame({"city": np.repeat(np.arange(n), t), "year": np.tile(np.arange(2010, 2010 + t), n)})
    a = rng.normal(size=n)[df["city"]]
    df["z"] = rng.normal(size=len(df))
    df["w"] = rng.normal(size=len(df))
    df["x"] = 0.8 * df["z"] + 0.5 * a + rng.normal(size=len(df))
    df["m"] = 0.6 * df["x"] + rng.normal(size=len(df))
    df["y"] = 0.5 * df["x"] + 0.3 * df["m"] - 0.2 * df["w"] + a + 0.05 * (df["year"] - 2010) \
        + rng.normal(size=len(df))
    df["prov"] = df["city"] // 4
    df["east"] = (df["city"] % 2).astype(int)
    cohort = np.where(np.arange(n) % 3 == 0, 2013, np.where(np.arange(n) % 3 == 1, 2015, 0))
    df["cohort"] = cohort[df["city"]]
    df["treat"] = ((df["cohort"] > 0) & (df["year"] >= df["cohort"])).astype(float)
    return df


@pytest.fixture(scope="module")
def lattice() -> pd.DataFrame:
    idx = np.arange(36).reshape(6, 6)
    pairs = [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]
    r = np.concatenate([np.r_[a.ravel(), b.ravel()] for a, b in pairs])
    c = np.concatenate([np.r_[b.ravel(), a.ravel()] for a, b in pairs])
    W = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(36, 36)).toarray()
    W = W / W.sum(axis=1, keepdims=True)
    return pd.DataFrame(W, index=range(36), columns=range(36))


def _within_r2_lsdv(df: pd.DataFrame, y: str, terms: dict[str, float], fe: list[str]) -> float:
    """1 - SSR / TSS_within with the demeaning done by a dummy regression (independent of our engine)."""
    D = pd.get_dummies(df[fe].astype(str), drop_first=True).to_numpy(float)
    D = np.column_stack([np.ones(len(df)), D])

    def resid(v):
        return v - D @ np.linalg.lstsq(D, v, rcond=None)[0]

    y_w = resid(df[y].to_numpy(float))
    e = y_w - sum(b * resid(df[c].to_numpy(float)) for c, b in terms.items())
    return 1 - float(e @ e) / float(y_w @ y_w)


@pytest.fixture(scope="module")
def families(panel, lattice) -> dict[str, tuple[EstimationResult, float | None]]:
    """family -> (result, independent within R2; NaN: not recomputed here; None: the family has none)."""
    stag = simulate_staggered_panel(n_units=60, periods=range(2005, 2013), cohorts=(2008, 2010),
                                    share_treated=0.6, seed=3)
    out = {}
    fe = fit_fe(panel, "y ~ x + w | city + year", cluster="city")
    out["panel FE"] = (fe, _within_r2_lsdv(panel, "y", fe.params.to_dict(), ["city", "year"]))
    iv = fit_iv(panel, "y ~ w | city + year | x ~ z", cluster="city")
    out["IV"] = (iv, _within_r2_lsdv(panel, "y", iv.params.to_dict(), ["city", "year"]))
    did = fit_twfe_did(panel, y="y", treat="treat", entity="city", time="year", controls=["w"], cluster="city")
    out["DID (TWFE)"] = (did, _within_r2_lsdv(panel, "y", did.params.to_dict(), ["city", "year"]))
    es = event_study(stag, y="y", entity="city", time="year", cohort="cohort", window=(-2, 2), cluster="city")
    out["DID (event study)"] = (es, np.nan)  # same fit_fe_ols as the TWFE fit checked exactly above
    sa = sun_abraham(stag, y="y", entity="city", time="year", cohort="cohort", cluster="city")
    out["DID (Sun-Abraham)"] = (sa, np.nan)
    psm = psm_did(panel, y="y", treat="treat", entity="city", time="year", match_on=["w"], seed=1)
    out["DID (PSM)"] = (psm, np.nan)
    thr = fit_threshold(panel, y="y", regime_x="x", q="w", controls=["m"], entity="city", time="year",
                        n_thresholds=1, grid=30, n_boot=0, progress=False)
    regimes = {f"x_regime{j + 1}": thr.params[f"x_regime{j + 1}"] for j in range(2)}
    reg = panel.assign(x_regime1=panel["x"] * (panel["w"] <= thr.thresholds[0]),
                       x_regime2=panel["x"] * (panel["w"] > thr.thresholds[0]))
    out["threshold"] = (thr, _within_r2_lsdv(reg, "y", {**regimes, "m": thr.params["m"]}, ["city"]))
    out["GMM"] = (fit_system_gmm(panel, y="y", entity="city", time="year", endog=["x"], collapse=True), None)
    out["DML"] = (fit_dml(panel, y="y", d="x", controls=["w", "z"], entity="city", time="year", learner="ols",
                          n_folds=3, progress=False), None)
    out["spatial"] = (fit_spatial_panel(panel, y="y", x=["x", "w"], w=lattice, entity="city", time="year",
                                        model="sar", effects="individual"), None)
    out["mediation"] = (fit_mediation(panel, x="x", mediator="m", y="y", fe=["city", "year"], n_boot=0,
                                      progress=False), None)
    out["heterogeneity"] = (compare_groups(panel, "y ~ x + w | city + year", by="east", coef="x", n_perm=20,
                                           seed=1, progress=False), None)
    out["DID (Callaway-Sant'Anna)"] = (callaway_santanna(stag, y="y", entity="city", time="year",
                                                         cohort="cohort"), None)
    out["DID (imputation)"] = (imputation_did(stag, y="y", entity="city", time="year", cohort="cohort"), None)
    return out


def test_within_r2_row_gets_the_within_r2_from_every_family(families):
    for family, (res, expected) in families.items():
        if expected is None:  # a family without fixed-effect regression: a clear "not defined"
            with pytest.raises(KeyError, match=f"'{st.R2_WITHIN}' is not defined for"):
                res.statistic(st.R2_WITHIN)
            assert etable([res], stats=[st.R2_WITHIN]).to_frame().loc[st.R2_WITHIN.label].iloc[0] == "", family
            with pytest.raises(KeyError, match="not defined"):
                etable([res], stats=[st.R2_WITHIN], missing="error")
            continue
        within = res.statistic(st.R2_WITHIN)
        if np.isfinite(expected):
            assert within == pytest.approx(expected, rel=1e-9), family
        assert within != pytest.approx(res.statistic(st.R2), rel=1e-6), family  # never the overall R2
        cell = etable([res], stats=[st.R2_WITHIN], digits=6).to_frame().loc[st.R2_WITHIN.label].iloc[0]
        assert float(cell) == pytest.approx(within, abs=1e-6), family


def test_every_family_with_a_covariance_carries_it_and_wald_tests_with_it(families):
    without = {"mediation", "heterogeneity", "DML"}  # separate regressions / score equations
    for family, (res, _) in families.items():
        if family in without:
            assert res.cov is None, family
            with pytest.raises(ValueError, match="no covariance matrix"):
                res.wald_test([res.params.index[0]])
            continue
        assert isinstance(res.cov, pd.DataFrame), family
        terms = [t for t in res.params.index if np.isfinite(res.bse[t])][:2]
        V = res.cov.loc[terms, terms].to_numpy()
        np.testing.assert_allclose(np.sqrt(np.diag(V)), res.bse[terms].to_numpy(), rtol=1e-6, err_msg=family)
        w = res.wald_test(terms)
        b = res.params[terms].to_numpy()
        assert w["chi2"] == pytest.approx(float(b @ np.linalg.solve(V, b)), rel=1e-8), family


def test_statistics_are_written_under_the_named_constants(families):
    """No estimator invents a name outside statistics.py (the drift "R2 within" vs "R2_within")."""
    for family, (res, _) in families.items():
        unknown = [k for k in res.stats if st.lookup(k) is None]
        assert not unknown, f"{family} writes unnamed statistics {unknown}"
        legacy = {"fixed_effects", "vcov_type", "vcov_matrix", "n_clusters"} & set(res.info)
        assert not legacy, f"{family} uses legacy info keys {legacy}"
        counts = [k for k in res.stats if st.lookup(k).kind == st.COUNT]
        assert all(isinstance(res.stats[k], (int, np.integer)) for k in counts), family


def test_etable_layout_and_renderers(panel):
    r1 = fit_fe(panel, "y ~ x | city + year", cluster="city")
    r2 = fit_fe(panel, "y ~ x + w | city", vcov="iid")
    t = etable([r1, r2], labels=["A", "B"], relabel={"x": "AI", "city": "City", "year": "Year"},
               stats=["N", st.R2, st.R2_WITHIN, st.N_CLUSTERS], digits=4)
    f = t.to_frame()
    assert list(f.columns) == ["A", "B"]
    p = r1.pvalues["x"]
    mark = "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""
    assert f.loc["AI", "A"] == f"{r1.params['x']:.4f}{mark}"
    se_row = f.index.get_loc("AI") + 1
    assert f.iloc[se_row]["A"] == f"({r1.bse['x']:.4f})" and f.index[se_row] == ""
    assert f.loc["w", "A"] == "" and f.loc["w", "B"].startswith(f"{r2.params['w']:.4f}")
    assert f.loc["City FE"].tolist() == ["Yes", "Yes"] and f.loc["Year FE"].tolist() == ["Yes", "No"]
    assert f.loc["SE clustered by"].tolist() == ["City", ""]
    assert f.loc["N"].tolist() == [str(len(panel))] * 2                 # counts print as integers
    assert f.loc["Clusters"].tolist() == ["36", ""]
    assert f.loc["R² (within)", "A"] == f"{r1.stats[st.R2_WITHIN]:.4f}"
    assert f.loc["Dependent variable"].tolist() == ["y", "y"]
    md = t.to_markdown()
    assert "| AI | " in md and "*** p<0.01" in md
    tex = t.to_latex()
    assert tex.startswith("\\begin{tabular}{l*{2}{c}}") and "\\toprule" in tex and "\\bottomrule" in tex
    assert tex.count("\\midrule") == 3 and "R$^2$ (within)" in tex
    html = t.to_html()
    assert html.count("<tr") == len(f) + 1 and "<th>City FE</th>" in html
    assert str(t).splitlines()[1].split() == ["A", "B"]
    # t statistics instead of standard errors
    ft = etable([r1], se="t", digits=2).to_frame()
    assert ft.iloc[ft.index.get_loc("x") + 1, 0] == f"({r1.tvalues['x']:.2f})"


def test_etable_keep_drop_order_and_bad_input(panel):
    r = fit_fe(panel, "y ~ x + w + m | city + year")
    assert [i for i in etable([r], keep=["m", "x"]).to_frame().index if i in ("x", "w", "m")] == ["m", "x"]
    assert "w" not in etable([r], drop=["w"]).to_frame().index
    assert [i for i in etable([r], drop=["^[wx]$"]).to_frame().index if i in ("x", "w", "m")] == ["m"]
    assert [i for i in etable([r], order=["w"]).to_frame().index if i in ("x", "w", "m")] == ["w", "x", "m"]
    with pytest.raises(ValueError, match="labels"):
        etable([r], labels=["a", "b"])
    with pytest.raises(ValueError, match="EstimationResult"):
        etable([r.params])
    with pytest.raises(ValueError, match="se must be"):
        etable([r], se="p")


def test_summary_prints_counts_as_integers(panel):
    r = fit_fe(panel, "y ~ x | city + year", cluster="city")
    line = next(x for x in r.summary().splitlines() if x.startswith(st.N_CLUSTERS))
    assert line.split()[-1] == "36"


def test_statistic_names_are_unique_documented_and_plain_strings():
    assert len(set(st.STATISTICS)) == len(st.STATISTICS)
    for name, stat in st.STATISTICS.items():
        assert stat == name and isinstance(stat, str) and stat.doc and stat.label and stat.kind in (
            st.COUNT, st.P_VALUE, st.REAL)
        assert {name: 1}[str(stat)] == 1
    assert st.lookup(st.first_stage_f("x2")).doc == st.FIRST_STAGE_F.doc
    assert st.lookup(st.threshold_f(2)).label == "Threshold F2"
    assert st.lookup("no such statistic") is None
