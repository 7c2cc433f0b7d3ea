"""Split-sample comparison: Fisher permutation (vectorised == refit loop), SUR (suest) z equal to
the Wald test of the fully interacted pooled model with CR0 * G/(G-1) (pyfixest
ssc(k_adj=False, G_adj=True)), size and power by Monte Carlo, bad input."""
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from analysis.estimators import heterogeneity as het
from analysis.estimators.fixed_effects import factorize
from analysis.estimators.formula import parse_formula
from analysis.estimators.heterogeneity import compare_groups


def _panel(seed=0, n=90, t=6, b_east=0.5, b_other=0.2):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"city": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    df["prov"] = df["city"] // 5
    df["east"] = (df["prov"] % 3 == 0).astype(int)
    mu = rng.normal(size=n)[df["city"]]
    df["x"] = rng.normal(size=len(df)) + mu
    df["w"] = rng.normal(size=len(df))
    slope = np.where(df["east"] == 1, b_east, b_other)
    df["y"] = slope * df["x"] + 0.3 * df["w"] + mu + 0.1 * df["year"] + rng.normal(size=len(df))
    return df


@pytest.mark.parametrize("formula", ["y ~ x + w | city + year", "y ~ x + w | year + city",
                                     "y ~ x + w | city", "y ~ x + w"])
def test_vectorised_permutations_equal_refits(formula):
    df = _panel()
    f = parse_formula(formula)
    unit, nu = factorize(df["prov"].to_numpy())
    perms = np.array([np.random.default_rng(i).permutation(np.arange(nu) % 2 == 0) for i in range(6)])
    fast = het._perm_vectorised(df, f, "x", unit, nu, perms, False)
    slow = het._perm_loop(df, formula, f, "x", unit, perms, False)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_suest_equals_pooled_interacted_wald():
    df = _panel(1)
    r = compare_groups(df, "y ~ x + w | city + year", by="east", coef="x", cluster="prov",
                       n_perm=0, progress=False)
    d = df.assign(x1=df.x * df.east, x0=df.x * (1 - df.east), w1=df.w * df.east,
                  w0=df.w * (1 - df.east), yg=df.year.astype(str) + "_" + df.east.astype(str))
    p = pf.feols("y ~ x1 + x0 + w1 + w0 | city + yg", d, vcov={"CRV1": "prov"},
                 ssc=pf.ssc(k_adj=False, G_adj=True))
    V = p._vcov
    se = np.sqrt(V[0, 0] + V[1, 1] - 2 * V[0, 1])
    assert r.diff == pytest.approx(p.coef()["x1"] - p.coef()["x0"], rel=1e-9)
    assert r.bse["difference"] == pytest.approx(se, rel=1e-7)
    assert r.info["perm_unit"] == "prov"


def test_size_and_power_monte_carlo():
    """40 null panels: 5% rejection rate of the permutation test within MC error; power ~1."""
    rej_perm, rej_z = [], []
    for rep in range(40):
        df = _panel(50 + rep, b_east=0.3, b_other=0.3)
        r = compare_groups(df, "y ~ x + w | city + year", by="east", coef="x", cluster="city",
                           n_perm=199, seed=rep, progress=False)
        rej_perm.append(r.perm_pvalue < 0.05)
        rej_z.append(r.suest_pvalue < 0.05)
    # binomial sd of a 5% rate over 40 draws is 0.034
    assert np.mean(rej_perm) <= 0.15 and np.mean(rej_z) <= 0.15
    alt = compare_groups(_panel(7), "y ~ x + w | city + year", by="east", coef="x", cluster="city",
                         n_perm=199, seed=1, progress=False)
    assert alt.perm_pvalue < 0.01 and alt.suest_pvalue < 0.01
    assert alt.info["method"] == "vectorised"
    assert alt.params["difference"] == pytest.approx(
        alt.fits[1].params["x"] - alt.fits[0].params["x"], rel=1e-12)


def test_seeded_and_bad_input():
    df = _panel()
    kw = dict(by="east", coef="x", cluster="city", n_perm=50, progress=False)
    a = compare_groups(df, "y ~ x + w | city + year", seed=3, **kw)
    b = compare_groups(df, "y ~ x + w | city + year", seed=3, **kw)
    np.testing.assert_array_equal(a.info["perm_draws"], b.info["perm_draws"])
    with pytest.raises(ValueError, match="exactly two groups"):
        compare_groups(df, "y ~ x + w | city", by="prov", coef="x")
    with pytest.raises(ValueError, match="not a regressor"):
        compare_groups(df, "y ~ x + w | city", by="east", coef="z")
