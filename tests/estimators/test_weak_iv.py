"""Weak-IV robust inference (``analysis.estimators.inference.weak_iv``).

Validation:
* against ivmodels 0.10 (``anderson_rubin_test``, ``inverse_anderson_rubin_test``; homoskedastic): the AR
  statistic and its p-value (F and chi2 critical values) to 1e-10, and the confidence set's ends to 1e-8,
  without and with fixed effects (ivmodels gets them as dummies among the exogenous regressors);
* the effective F's identities: with iid errors it is the classical first-stage F (= Cragg-Donald with one
  endogenous regressor), with one instrument the robust / clustered first-stage F of ``fit_iv``;
* the robust (clustered, HC1) AR statistic equals the Wald F of the instruments in ``fit_fe`` of
  ``y - x b0`` on the instruments, the exogenous regressors and the fixed effects, for several b0; at the
  ends of the confidence set it equals the critical value;
* an irrelevant instrument gives an unbounded set exactly when the first-stage Wald test does not reject.
"""
import numpy as np
import pandas as pd
import pytest
from ivmodels.confidence_set import ConfidenceSet
from ivmodels.tests import anderson_rubin_test, inverse_anderson_rubin_test
from scipy import stats

from analysis.estimators import fit_fe, fit_iv
from analysis.estimators.inference import weak_iv_robust


def data(n=400, strength=0.25, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"g": rng.integers(0, 25, n), "t": rng.integers(0, 6, n), "h": rng.integers(0, 12, n)})
    df["z1"], df["z2"], df["z3"], df["w"] = rng.normal(size=(4, n))
    u = rng.normal(size=n)
    df["x"] = strength * df.z1 + 0.4 * strength * df.z2 + 0.3 * df.w + 0.5 * u + rng.normal(size=n)
    df["y"] = 0.5 * df.x + 0.4 * df.w + 0.2 * df.t + u
    return df


def _ivmodels(df, fe, critical):
    Z, X, y = df[["z1", "z2", "z3"]].to_numpy(), df[["x"]].to_numpy(), df["y"].to_numpy()
    C = df[["w"]].to_numpy()
    if fe:
        C = np.column_stack([C, pd.get_dummies(df["t"], drop_first=True, dtype=float).to_numpy()])
    return Z, X, y, C


@pytest.mark.parametrize("fe", [False, True])
@pytest.mark.parametrize("critical", ["f", "chi2"])
def test_anderson_rubin_equals_ivmodels(fe, critical):
    df = data()
    f = "y ~ w" + (" | t" if fe else "") + " | x ~ z1 + z2 + z3"
    Z, X, y, C = _ivmodels(df, fe, critical)
    for b0 in (0.0, 0.3, 1.5):
        ours = weak_iv_robust(df, f, vcov="iid", null=b0, critical=critical)
        stat, p = anderson_rubin_test(Z, X, y, np.array([b0]), C=C, critical_values=critical)
        assert ours.ar_f == pytest.approx(stat, rel=1e-10)
        assert ours.ar_p_value == pytest.approx(p, rel=1e-9, abs=1e-14)
    theirs = ConfidenceSet.from_quadric(inverse_anderson_rubin_test(Z, X, y, alpha=0.05, C=C, critical_values=critical))
    assert len(ours.conf_set) == len(theirs.boundaries) == 1
    np.testing.assert_allclose(ours.conf_set[0], theirs.boundaries[0], rtol=1e-8)


def test_effective_f_identities():
    df = data()
    iid = weak_iv_robust(df, "y ~ w | t | x ~ z1 + z2 + z3", vcov="iid")
    fit = fit_iv(df, "y ~ w | t | x ~ z1 + z2 + z3", vcov="iid")
    assert iid.effective_f == pytest.approx(fit.stats["first_stage_F"], rel=1e-10)
    assert iid.effective_f == pytest.approx(fit.stats["Cragg_Donald_F"], rel=1e-10)
    for kw in (dict(cluster="g"), dict(vcov="HC1")):
        one = weak_iv_robust(df, "y ~ w | t | x ~ z1", **kw)
        assert one.effective_f == pytest.approx(fit_iv(df, "y ~ w | t | x ~ z1", **kw).stats["first_stage_F"], rel=1e-10)
    robust = weak_iv_robust(df, "y ~ w | t | x ~ z1 + z2 + z3", cluster="g")
    first = fit_iv(df, "y ~ w | t | x ~ z1 + z2 + z3", cluster="g")
    assert robust.effective_f != pytest.approx(first.stats["first_stage_F"], rel=1e-3)   # L > 1: not the Wald F
    assert robust.effective_f == pytest.approx(first.stats["effective_F"], rel=1e-12)


@pytest.mark.parametrize("kw", [dict(cluster="g"), dict(vcov="HC1"), dict(cluster=["g", "h"])])
def test_robust_ar_is_the_wald_f_of_the_instruments(kw):
    df = data()
    f = "y ~ w | t | x ~ z1 + z2"
    res = weak_iv_robust(df, f, **kw)
    for b0 in (-0.5, 0.2, 0.9):
        wald = fit_fe(df.assign(r=df.y - b0 * df.x), "r ~ z1 + z2 + w | t", **kw).wald_test(["z1", "z2"])
        assert weak_iv_robust(df, f, null=b0, **kw).ar_f == pytest.approx(wald["F"], rel=1e-10)
        assert weak_iv_robust(df, f, null=b0, **kw).ar_p_value == pytest.approx(wald["p_value"], rel=1e-8)
    (lo, hi), = res.conf_set
    crit = stats.f.ppf(0.95, 2, res.ar_df[1])
    for end in (lo, hi):
        assert weak_iv_robust(df, f, null=end, **kw).ar_f == pytest.approx(crit, rel=1e-8)


def test_unbounded_set_when_the_first_stage_does_not_reject():
    df = data(strength=0.0, seed=4)
    f = "y ~ w | t | x ~ z1 + z2"
    res = weak_iv_robust(df, f, cluster="g")
    first = fit_fe(df, "x ~ z1 + z2 + w | t", cluster="g").wald_test(["z1", "z2"])
    assert (first["p_value"] > 0.05) == (not res.bounded)
    assert not res.bounded
    assert res.conf_set[0][0] == -np.inf and res.conf_set[-1][1] == np.inf


def test_bad_input():
    df = data()
    with pytest.raises(ValueError, match="one endogenous"):
        weak_iv_robust(df.assign(x2=df.z3 + df.w), "y ~ w | x + x2 ~ z1 + z2 + z3")
    with pytest.raises(ValueError, match="critical"):
        weak_iv_robust(df, "y ~ w | x ~ z1", critical="gkm")
