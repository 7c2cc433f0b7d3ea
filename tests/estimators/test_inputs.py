"""One input policy for every estimator (analysis/estimators/inputs.py, issue #21's rough edges).

* missing values: ``missing="drop"`` (default) drops the rows listwise, warns naming the column and its count
  and records ``info["n_dropped_na"]``; the fit equals the fit on the complete rows; ``missing="raise"``
  refuses with the column and its count; a NaN covariate is never "a key column";
* Callaway-Sant'Anna never returns a NaN aggregate (an outcome series that ends a year early, a cell
  without treated units);
* a typo in a column name is answered with the closest names, not the first 30 columns;
* ``vcov`` accepts pyfixest's forms and refuses others with the list of accepted forms;
* counts print as integers in summaries and replicated tables.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.estimators import (
    bacon_decomposition,
    callaway_santanna,
    compare_groups,
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
    placebo,
    psm_did,
    sun_abraham,
    weak_iv_robust,
    wild_cluster_bootstrap,
)
from analysis.estimators.base import EstimationResult
from analysis.estimators.inputs import VCOV_FORMS, MissingValuesWarning
from analysis.estimators.statistics import N_CLUSTERS

N, T, FIRST = 24, 8, 2010
LAST = FIRST + T - 1


def _panel(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.arange(N)
    city, year = np.repeat(unit, T), np.tile(np.arange(FIRST, FIRST + T), N)
    cohort = np.repeat(np.where(unit < N // 3, 0, np.where(unit < 2 * N // 3, 2013, 2015)), T)
    treat = ((cohort > 0) & (year >= cohort)).astype(float)
    n = N * T
    z = rng.normal(size=n)
    x = 0.8 * z + rng.normal(size=n)
    w = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = (x + 0.5 * w + 0.3 * m + 0.5 * treat + np.repeat(rng.normal(size=N), T) + 0.1 * (year - FIRST)
         + rng.normal(size=n))
    return pd.DataFrame({"city": city, "year": year, "cohort": cohort, "treat": treat, "x": x, "z": z, "w": w,
                         "m": m, "y": y, "group": city % 2, "q": rng.uniform(size=n)})


def _ring() -> pd.DataFrame:
    W = np.zeros((N, N))
    for i in range(N):
        W[i, (i - 1) % N] = W[i, (i + 1) % N] = 0.5
    return pd.DataFrame(W, index=range(N), columns=range(N))


# every estimator, called with the covariate x (missing in the last year, "a series that ends early")
ESTIMATORS = {
    "fit_fe": lambda d, **k: fit_fe(d, "y ~ x + w | city + year", cluster="city", **k),
    "fit_iv": lambda d, **k: fit_iv(d, "y ~ w | city + year | x ~ z", cluster="city", **k),
    "compare_groups": lambda d, **k: compare_groups(d, "y ~ x + w | year", by="group", coef="x", n_perm=0,
                                                    progress=False, **k),
    "fit_mediation": lambda d, **k: fit_mediation(d, x="x", mediator="m", y="y", fe=["city", "year"], n_boot=0,
                                                  progress=False, **k),
    "fit_threshold": lambda d, **k: fit_threshold(d, y="y", regime_x="w", q="q", controls=["x"], entity="city",
                                                  time="year", n_boot=0, progress=False, **k),
    "fit_system_gmm": lambda d, **k: fit_system_gmm(d, y="y", entity="city", time="year", controls=["x"], **k),
    "fit_twfe_did": lambda d, **k: fit_twfe_did(d, y="y", treat="treat", entity="city", time="year",
                                                controls=["x"], **k),
    "event_study": lambda d, **k: event_study(d, y="y", entity="city", time="year", cohort="cohort",
                                              window=(-2, 1), controls=["x"], **k),
    "placebo": lambda d, **k: placebo(d, y="y", entity="city", time="year", cohort="cohort", n_draws=5, seed=0,
                                      controls=["x"], progress=False, **k),
    "psm_did": lambda d, **k: psm_did(d, y="y", treat="treat", entity="city", time="year", match_on=["x"],
                                      seed=0, **k),
    "sun_abraham": lambda d, **k: sun_abraham(d, y="y", entity="city", time="year", cohort="cohort",
                                              controls=["x"], **k),
    "imputation_did": lambda d, **k: imputation_did(d, y="y", entity="city", time="year", cohort="cohort",
                                                    controls=["x"], **k),
    "callaway_santanna": lambda d, **k: callaway_santanna(d, y="y", entity="city", time="year", cohort="cohort",
                                                          controls=["x"], **k),
    # no covariates in a Bacon decomposition: x is the outcome here
    "bacon_decomposition": lambda d, **k: bacon_decomposition(d, y="x", entity="city", time="year", cohort="cohort",
                                                              **k),
    "fit_spatial_panel": lambda d, **k: fit_spatial_panel(d, y="y", x=["x", "w"], w=_ring(), entity="city",
                                                          time="year", model="sar", **k),
    "fit_dml": lambda d, **k: fit_dml(d, y="y", d="x", controls=["w", "z"], entity="city", time="year",
                                      learner="ols", n_folds=2, progress=False, n_jobs=1, **k),
    "wild_cluster_bootstrap": lambda d, **k: wild_cluster_bootstrap(d, "y ~ x + w | city + year", cluster="city",
                                                                    n_boot=99, seed=0, ci=False, **k),
    "weak_iv_robust": lambda d, **k: weak_iv_robust(d, "y ~ w | city + year | x ~ z", **k),
}


def _n_dropped(res) -> int:
    return int(res.info["n_dropped_na"]) if isinstance(res, EstimationResult) else int(res.n_dropped_na)


def _numbers(res) -> np.ndarray:
    if isinstance(res, EstimationResult):
        return np.r_[res.params.to_numpy(), res.bse.to_numpy()]
    if hasattr(res, "ar_f"):
        return np.array([res.ar_f, res.effective_f])
    return np.array([res.estimate, res.se, res.p_value])


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_missing_covariate_is_dropped_with_a_count_and_a_warning(name):
    data = _panel()
    ends_early = data.assign(x=data["x"].where(data["year"] < LAST))      # the covariate's series ends a year early
    call = ESTIMATORS[name]
    with pytest.warns(MissingValuesWarning) as caught:
        res = call(ends_early)
    text = " ".join(str(w.message) for w in caught)
    assert f"'x': {N}" in text and name in text and "key column" not in text
    assert _n_dropped(res) == N
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingValuesWarning)            # the complete rows: nothing to drop
        complete = call(data[data["year"] < LAST].reset_index(drop=True))
    assert _n_dropped(complete) == 0
    np.testing.assert_allclose(_numbers(res), _numbers(complete), rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_missing_raise_refuses_naming_the_column(name):
    data = _panel()
    gap = data.assign(x=data["x"].where(data.index != 7))
    with pytest.raises(ValueError, match=rf"missing values in 'x': 1 \(1 of {N * T} rows\)") as err:
        ESTIMATORS[name](gap, missing="raise")
    assert "key column" not in str(err.value)


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match=r"missing must be one of \('drop', 'raise'\)"):
        fit_fe(_panel(), "y ~ x | city", missing="ignore")


def test_a_dropped_count_shows_in_the_summary():
    data = _panel()
    with pytest.warns(MissingValuesWarning):
        res = fit_fe(data.assign(x=data["x"].where(data.index != 3)), "y ~ x | city")
    assert res.info["n_dropped_na"] == 1
    assert "N dropped (missing values)             1" in res.summary()


# ---------------------------------------------------------------- Callaway-Sant'Anna: no NaN aggregate
def test_callaway_santanna_outcome_ending_early_gives_finite_aggregates():
    data = _panel()
    ends_early = data.assign(y=data["y"].where(data["year"] < LAST))
    with pytest.warns(MissingValuesWarning, match=f"'y': {N}"):
        res = callaway_santanna(ends_early, y="y", entity="city", time="year", cohort="cohort")
    assert res.info["n_dropped_na"] == N and res.params.notna().all()
    truncated = callaway_santanna(data[data["year"] < LAST], y="y", entity="city", time="year", cohort="cohort")
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = res.aggregate(kind)
        assert np.isfinite(agg.params).all() and np.isfinite(agg.bse).all()
        np.testing.assert_allclose(agg.params, truncated.aggregate(kind).params, rtol=1e-12)


def test_callaway_santanna_cell_without_treated_units_is_left_out_with_a_warning():
    data = _panel()
    hole = (data["cohort"] == 2015) & (data["year"] == 2016)          # every unit of cohort 2015 misses 2016
    with pytest.warns(UserWarning) as caught:
        res = callaway_santanna(data.assign(y=data["y"].where(~hole)), y="y", entity="city", time="year",
                                cohort="cohort")
    messages = " ".join(str(w.message) for w in caught)
    assert "ATT(2015,2016)" in messages and "ATT(2015,2016)" in res.info["gt_not_estimable"]
    assert "ATT(2015,2016)" not in res.params.index and res.params.notna().all()
    for kind in ("simple", "group", "dynamic", "calendar"):
        assert np.isfinite(res.aggregate(kind).params).all()


# ---------------------------------------------------------------- typos
def _wide() -> pd.DataFrame:
    d = _panel().rename(columns={"y": "ln_co2_ceads_10k_t", "x": "ln_ai_firms"})
    filler = pd.DataFrame({f"col_{i:02d}": 0.0 for i in range(40)}, index=d.index)
    return pd.concat([filler, d], axis=1)


TYPO_CALLS = {
    "fit_fe": lambda d: fit_fe(d, "ln_co2_ceads_10k ~ ln_ai_firms | city"),
    "fit_twfe_did": lambda d: fit_twfe_did(d, y="ln_co2_ceads_10k", treat="treat", entity="city", time="year"),
    "callaway_santanna": lambda d: callaway_santanna(d, y="ln_co2_ceads_10k", entity="city", time="year",
                                                     cohort="cohort"),
    "fit_spatial_panel": lambda d: fit_spatial_panel(d, y="ln_co2_ceads_10k", x=["ln_ai_firms"], w=_ring(),
                                                     entity="city", time="year"),
    "fit_dml": lambda d: fit_dml(d, y="ln_co2_ceads_10k", d="ln_ai_firms", controls=["w"], entity="city",
                                 time="year", learner="ols", progress=False),
    "cluster": lambda d: fit_fe(d, "ln_co2_ceads_10k_t ~ ln_ai_firms | city", cluster="ciyt"),
}


@pytest.mark.parametrize("name", list(TYPO_CALLS))
def test_a_typo_lists_the_closest_names(name):
    with pytest.raises(ValueError) as err:
        TYPO_CALLS[name](_wide())
    msg = str(err.value)
    assert "did you mean" in msg and "col_00" not in msg, msg
    assert ("'city'" if name == "cluster" else "'ln_co2_ceads_10k_t'") in msg


# ---------------------------------------------------------------- vcov forms
def _same(a, b):
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-12)
    assert a.info["cluster"] == b.info["cluster"] and a.info["vcov"] == b.info["vcov"]


def test_vcov_accepts_pyfixest_forms():
    d = _panel()
    f = "y ~ x + w | city + year"
    _same(fit_fe(d, f, vcov={"CRV1": "city"}), fit_fe(d, f, cluster="city"))
    _same(fit_fe(d, f, vcov={"CRV1": "city+year"}), fit_fe(d, f, cluster=["city", "year"]))
    _same(fit_fe(d, f, vcov="hetero"), fit_fe(d, f, vcov="HC1"))
    _same(fit_fe(d, f, vcov="iid"), fit_fe(d, f, vcov="IID"))
    iv = "y ~ w | city + year | x ~ z"
    _same(fit_iv(d, iv, vcov={"CRV1": "city"}), fit_iv(d, iv, cluster="city"))
    a = compare_groups(d, "y ~ x | year", by="group", coef="x", vcov={"CRV1": "city"}, n_perm=0, progress=False)
    b = compare_groups(d, "y ~ x | year", by="group", coef="x", cluster="city", n_perm=0, progress=False)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-12)
    a = fit_mediation(d, x="x", mediator="m", y="y", fe=["year"], vcov={"CRV1": "city"}, n_boot=0, progress=False)
    b = fit_mediation(d, x="x", mediator="m", y="y", fe=["year"], cluster="city", n_boot=0, progress=False)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-12)
    assert weak_iv_robust(d, iv, vcov={"CRV1": "city"}).ar_f == weak_iv_robust(d, iv, cluster="city").ar_f


@pytest.mark.parametrize("vcov", [{"CRV3": "city"}, "HC3", {"CRV1": "city", "CRV2": "year"}, "cluster", 3])
def test_vcov_refuses_other_forms_listing_the_accepted_ones(vcov):
    with pytest.raises(ValueError) as err:
        fit_fe(_panel(), "y ~ x | city", vcov=vcov)
    assert VCOV_FORMS in str(err.value) and '{"CRV1": "city+year"}' in str(err.value)


def test_vcov_dict_and_cluster_together_are_refused():
    with pytest.raises(ValueError, match="give the clusters once"):
        fit_fe(_panel(), "y ~ x | city", cluster="city", vcov={"CRV1": "year"})


# ---------------------------------------------------------------- counts print as integers
def test_counts_print_without_decimals():
    from analysis.tables import Column, Table

    res = EstimationResult(pd.Series({"x": 1.0}), pd.Series({"x": 0.5}), nobs=100, stats={N_CLUSTERS: 30.0})
    assert "N_clusters                            30" in res.summary()
    table = Table("000", "T1", "t", [Column("(1)", {"x": (1.0, 0.5, 0.04)}, {"Clusters": 30.0, "N": 96.0,
                                                                           "R²": 0.25})],
                  ["x"], ["N", "Clusters", "R²"])
    md = table.to_markdown()
    assert "| 30 |" in md and "| 96 |" in md and "30.0000" not in md and "96.0000" not in md
    assert "0.2500" in md
