"""Every inference option is reachable from a column's declaration: multiway clusters, Conley SEs (distances
from the warehouse), the wild cluster bootstrap (WCR for ``fe``, WRE for ``iv``, WCR of the instrument for
``iv_first``) and the GMM options (difference GMM, h, lag limits), run through the adapters on the tiny
world."""
from __future__ import annotations

import numpy as np
import pytest

from analysis.estimators import statistics as st
from analysis.replications.adapters import ADAPTERS
from analysis.replications.context import RunContext
from analysis.replications.spec import ColumnSpec
from analysis.replications.studies import load_study

Y, X, W = "ln_co2_ceads_10k_t", "ln_ai_firms", "ln_gdp_per_capita"


@pytest.fixture(scope="module")
def city(tiny_marts):
    from analysis.marts import load_city_panel

    return load_city_panel(tiny_marts).dropna(subset=[Y, X, W, "iv_relief_x_digital_words"])


def _fit(family, city, tiny_marts, **options):
    col = ColumnSpec("(1)", Y, (X,), (W,), instruments=("iv_relief_x_digital_words",), options=options)
    ctx = RunContext(warehouse=tiny_marts, fast={"n_boot": 99})
    return ADAPTERS[family].fit(city, col, load_study("002"), ctx)


def test_covariance_options(city, tiny_marts):
    hc1 = _fit("fe", city, tiny_marts)
    two = _fit("fe", city, tiny_marts, cluster=("adcode", "year"))
    assert two.info["cluster"] == ["adcode", "year"] and two.df_resid == city["year"].nunique() - 1
    conley = _fit("fe", city, tiny_marts, vcov={"conley_km": 800, "lags": 1})
    assert conley.info["vcov"] == "Conley" and not np.allclose(conley.bse[X], hc1.bse[X])
    iv = _fit("iv", city, tiny_marts, vcov={"conley_km": 800, "kernel": "uniform"})
    assert iv.info["vcov"] == "Conley"
    with pytest.raises(ValueError, match="conley_km"):
        _fit("fe", city, tiny_marts, vcov={"kernel": "uniform"})


def test_wild_bootstrap_option(city, tiny_marts):
    for family, term in (("fe", X), ("iv", X), ("iv_first", "iv_relief_x_digital_words")):
        res = _fit(family, city, tiny_marts, cluster="adcode", wild_bootstrap={"weights": "webb"})
        wb = res.info["wild_bootstrap"]
        assert wb.param == term and wb.n_boot == 99 and wb.weights == "webb"
        assert res.stats[st.WILD_P] == wb.p_value and res.stats[st.WILD_CI_LOW] < res.stats[st.WILD_CI_HIGH]
        assert wb.method == ("WRE" if family == "iv" else "WCR")
    with pytest.raises(ValueError, match="unknown keys"):
        _fit("fe", city, tiny_marts, cluster="adcode", wild_bootstrap={"draws": 9})
    with pytest.raises(ValueError, match="one options\\['cluster'\\]"):
        _fit("fe", city, tiny_marts, wild_bootstrap=True)


def test_weak_iv_option(city, tiny_marts):
    res = _fit("iv", city, tiny_marts, cluster="adcode", weak_iv={"null": 0.1, "alpha": 0.1})
    wk = res.info["weak_iv"]
    assert wk.null == 0.1 and wk.alpha == 0.1 and res.stats[st.ANDERSON_RUBIN_P] == wk.ar_p_value
    assert res.stats[st.EFFECTIVE_F] == pytest.approx(wk.effective_f, rel=1e-12)
    assert res.stats[st.AR_SET_LOW] == wk.conf_set[0][0] and res.stats[st.AR_SET_HIGH] == wk.conf_set[-1][1]


def test_gmm_options(city, tiny_marts):
    col = ColumnSpec("(1)", Y, (X,), (W,), fe=(), estimator="gmm",
                     options={"collapse": True, "level_equation": False, "h": 2, "gmm_lags": {Y: (2, 3)}})
    res = ADAPTERS["gmm"].fit(city, col, load_study("004"), RunContext(warehouse=tiny_marts))
    assert res.model.startswith("DIFF-GMM") and res.info["h"] == 2 and res.info["gmm_lags"][Y] == (2, 3)
