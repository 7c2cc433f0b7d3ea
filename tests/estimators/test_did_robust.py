"""Sun-Abraham (vs pyfixest's saturated event study and vs Callaway-Sant'Anna) and Goodman-Bacon."""
from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.estimators.did import (
    bacon_decomposition,
    callaway_santanna,
    fit_twfe_did,
    imputation_did,
    sun_abraham,
)
from analysis.estimators.did.simulate import simulate_staggered_panel

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "econometrics"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    d = pd.read_csv(REF / "mpdta.csv")
    d["treat_post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    return d


@pytest.fixture(scope="module")
def sa(mpdta):
    return sun_abraham(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                       cluster="countyreal")


def test_sun_abraham_matches_pyfixest_saturated(mpdta, sa):
    """pyfixest ``event_study(estimator="saturated")`` (CRV1 by unit, default ssc) on mpdta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.event_study(mpdta.rename(columns={"first.treat": "gfirst"}), yname="lemp",
                             idname="countyreal", tname="year", gname="gfirst",
                             estimator="saturated", att=False).aggregate()
    est = ref["Estimate"].astype(float).to_numpy()
    se = ref["Std. Error"].astype(float).to_numpy()
    assert list(sa.relative_times) == [int(e) for e in ref.index]
    np.testing.assert_allclose(sa.params.to_numpy(), est, rtol=1e-7, atol=1e-10)
    # pyfixest's default ssc for one-way clustering with nested unit FE gives the same SE
    np.testing.assert_allclose(sa.bse.to_numpy(), se, rtol=1e-5)


def test_sun_abraham_equals_cs_universal_base(mpdta, sa):
    """Balanced panel, never-treated controls, no covariates: delta_{g,e} = CS ATT(g, g+e) with a
    universal base period, and the event-time aggregates coincide too."""
    cs = callaway_santanna(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                           base_period="universal")
    tab = cs.att_gt.set_index(["cohort", "time"])["att"]
    for g, e, est in zip(sa.catt["g"], sa.catt["e"], sa.catt["estimate"]):
        assert est == pytest.approx(tab[(g, g + e)], abs=1e-10)
    dyn = cs.aggregate("dynamic")
    for term, rel in zip(sa.params.index, sa.relative_times):
        assert sa.params[term] == pytest.approx(dyn.params[f"e={rel}"], abs=1e-10)
    assert sa.stats["ATT"] == pytest.approx(cs.aggregate("simple").params["ATT"], abs=1e-10)
    assert sa.stats["ATT"] == pytest.approx(-0.0400, abs=5e-5)  # R did simple aggregation
    assert len(sa.plot().axes) == 1


def test_sun_abraham_last_treated_control(mpdta):
    r = sun_abraham(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                    control_group="last_treated")
    # 2007 becomes the control, so only years < 2007 are used and no cohort-2007 cells remain
    assert set(r.catt["g"]) == {2004.0, 2006.0}
    assert r.nobs == 4 * 500


def test_bacon_decomposition_exact_on_mpdta(mpdta):
    b = bacon_decomposition(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat")
    twfe = fit_twfe_did(mpdta, y="lemp", treat="treat_post", entity="countyreal", time="year")
    assert b.params["did"] == pytest.approx(twfe.params["treat_post"], abs=1e-12)
    c = b.components
    assert c["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert float(c["weight"] @ c["estimate"]) == pytest.approx(b.params["did"], abs=1e-12)
    # three cohorts + never treated: 3 treated-vs-never and 3 x 2 timing comparisons
    assert (c["type"] == "Treated vs Never treated").sum() == 3
    assert len(c) == 9
    # each treated-vs-never 2x2 is the plain DID of means (cohort 2004 vs never, all years)
    w = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first()
    pre, post = [2003], [2004, 2005, 2006, 2007]
    did = ((w.loc[g == 2004, post].mean(axis=1) - w.loc[g == 2004, pre].mean(axis=1)).mean()
           - (w.loc[g == 0, post].mean(axis=1) - w.loc[g == 0, pre].mean(axis=1)).mean())
    row = c[(c["type"] == "Treated vs Never treated") & (c["treated"] == 2004)]
    assert row["estimate"].item() == pytest.approx(did, abs=1e-12)
    assert len(b.by_type()) == 3 and len(b.plot().axes) == 1


def test_bacon_with_always_treated_and_identity():
    df = simulate_staggered_panel(n_units=90, periods=range(2003, 2015), cohorts=(2003, 2007, 2011),
                                  share_treated=0.7, seed=4)
    b = bacon_decomposition(df, y="y", entity="city", time="year", cohort="cohort")
    twfe = fit_twfe_did(df, y="y", treat="treat", entity="city", time="year")
    assert b.params["did"] == pytest.approx(twfe.params["treat"], abs=1e-10)
    assert "Later vs Always Treated" in set(b.components["type"])


def test_bacon_requires_balanced_panel(mpdta):
    with pytest.raises(ValueError, match="balanced panel"):
        bacon_decomposition(mpdta.iloc[1:], y="lemp", entity="countyreal", time="year",
                            cohort="first.treat")
    with pytest.raises(ValueError, match="no comparison units"):
        sun_abraham(mpdta[mpdta["first.treat"] > 0], y="lemp", entity="countyreal", time="year",
                    cohort="first.treat")


def test_imputation_matches_did2s():
    """BJS imputation = Gardner's two-stage DID (pyfixest ``did2s``) in point estimates; the BJS
    conservative SE is close to did2s's GMM SE (within 8% here, equal where one cohort remains)."""
    df = simulate_staggered_panel(n_units=150, periods=range(2003, 2015), cohorts=(2006, 2009, 2012),
                                  share_treated=0.7, seed=5)
    r = imputation_did(df, y="y", entity="city", time="year", cohort="cohort", controls=["x1"])
    rel = np.where(df["treat"] == 1, df["year"] - df["cohort"], -1)
    hs = list(range(9))
    d = df.assign(**{f"h{h}": (rel == h).astype(float) for h in hs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        att = pf.did2s(d, yname="y", first_stage="~ x1 | city + year", second_stage="~ 0 + treat",
                       treatment="treat", cluster="city")
        dyn = pf.did2s(d, yname="y", first_stage="~ x1 | city + year",
                       second_stage="~ 0 + " + " + ".join(f"h{h}" for h in hs),
                       treatment="treat", cluster="city")
    # pyfixest demeans iteratively (tolerance 1e-8); we solve the first stage exactly
    assert r.params["ATT"] == pytest.approx(att.coef()["treat"], abs=1e-7)
    np.testing.assert_allclose(r.params.iloc[1:].to_numpy(), dyn.coef().to_numpy(), atol=1e-7)
    assert r.bse["ATT"] == pytest.approx(att.se()["treat"], rel=0.08)
    np.testing.assert_allclose(r.bse.iloc[1:].to_numpy(), dyn.se().to_numpy(), rtol=0.08)
    # horizons with a single cohort left: no cross-cohort averaging, both variances coincide
    np.testing.assert_allclose(r.bse.iloc[-3:].to_numpy(), dyn.se().to_numpy()[-3:], rtol=1e-6)


def test_imputation_drops_non_imputable_rows(mpdta):
    d = mpdta.copy()
    d.loc[d["countyreal"] == d["countyreal"].iloc[0], "first.treat"] = 2003  # always treated
    r = imputation_did(d, y="lemp", entity="countyreal", time="year", cohort="first.treat")
    assert r.info["n_not_imputable"] == 5
    with pytest.raises(ValueError, match="horizon"):
        imputation_did(mpdta, y="lemp", entity="countyreal", time="year", cohort="first.treat",
                       horizons=[7])
