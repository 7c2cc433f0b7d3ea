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
    sun_abraham,
)
from analysis.estimators.did_sim import simulate_staggered_panel

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
