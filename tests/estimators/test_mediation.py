"""Three-step mediation.

Validation: pingouin's documented example (``mediation_analysis(data, x='X', m='M', y='Y',
seed=42)``; classical OLS SEs, 500 bias-corrected bootstrap draws from RandomState(42)):
indirect 0.356522, bootstrap SE 0.083313, CI [0.219818, 0.537654]; direct 0.039604 (0.109648).
Sobel / Aroian / Goodman against a hand computation. The vectorised cluster bootstrap equals a
refit-per-draw loop on the same draws (city FE nested in city clusters).
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.estimators.mediation import fit_mediation
from analysis.estimators.panel import fit_fe

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "econometrics"


@pytest.fixture(scope="module")
def pg():
    return pd.read_csv(REF / "pingouin_mediation.csv")


def test_pingouin_documented_example(pg):
    r = fit_mediation(pg, x="X", mediator="M", y="Y", vcov="iid", n_boot=500,
                      seed=np.random.RandomState(42), ci="bc", progress=False)
    assert r.params["indirect"] == pytest.approx(0.356522, abs=1e-6)
    assert r.params["a"] == pytest.approx(0.561015, abs=1e-6)
    assert r.bse["a"] == pytest.approx(0.094480, abs=1e-6)
    assert r.params["total"] == pytest.approx(0.396126, abs=1e-6)
    assert r.params["direct"] == pytest.approx(0.039604, abs=1e-6)
    assert r.bse["direct"] == pytest.approx(0.109648, abs=1e-6)
    assert r.stats["boot_se"] == pytest.approx(0.083313, abs=1e-6)
    assert r.boot_ci == pytest.approx((0.219818, 0.537654), abs=1e-6)
    assert r.params["total"] == pytest.approx(r.params["direct"] + r.params["indirect"], rel=1e-10)
    assert r.share_mediated == pytest.approx(0.356522 / 0.396126, rel=1e-5)


def test_sobel_family_by_hand(pg):
    r = fit_mediation(pg, x="X", mediator="M", y="Y", vcov="iid", n_boot=0, progress=False)
    a, sa, b, sb = r.params["a"], r.bse["a"], r.params["b"], r.bse["b"]
    sobel = a * b / np.sqrt(b * b * sa * sa + a * a * sb * sb)
    aroian = a * b / np.sqrt(b * b * sa * sa + a * a * sb * sb + sa * sa * sb * sb)
    goodman = a * b / np.sqrt(b * b * sa * sa + a * a * sb * sb - sa * sa * sb * sb)
    assert r.stats["Sobel_z"] == pytest.approx(sobel, rel=1e-12)
    assert r.stats["Aroian_z"] == pytest.approx(aroian, rel=1e-12)
    assert r.stats["Goodman_z"] == pytest.approx(goodman, rel=1e-12)
    assert r.tests.loc["Sobel", "p_value"] == pytest.approx(2 * (1 - __import__("scipy").stats.norm.cdf(sobel)), rel=1e-9)
    # hand numbers: a = .5610 (.0945), b = .6355 (.1005) -> Sobel z = 4.328
    assert sobel == pytest.approx(4.3279, abs=1e-4)


def _panel(seed, n=60, t=6, a=0.5, b=0.4, c=0.2):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"city": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    mu = rng.normal(size=n)[df["city"]]
    df["w"] = rng.normal(size=len(df))
    df["x"] = rng.normal(size=len(df)) + mu
    df["m"] = a * df.x + 0.3 * df.w + mu + rng.normal(size=len(df)) + 0.5 * rng.normal(size=n)[df["city"]]
    df["y"] = c * df.x + b * df.m + 0.2 * df.w + mu + rng.normal(size=len(df))
    return df


def test_vectorised_cluster_bootstrap_equals_refit_loop():
    df = _panel(0)
    r = fit_mediation(df, x="x", mediator="m", y="y", controls=["w"], fe=["city"], cluster="city",
                      n_boot=8, seed=np.random.RandomState(3), progress=False)
    idx = np.random.RandomState(3).choice(np.arange(60), replace=True, size=(8, 60))
    loop = []
    for row in idx:
        parts = []
        for k, g in enumerate(row):
            part = df[df.city == g].copy()
            part["city"] = k  # a cluster drawn twice is two entities
            parts.append(part)
        bd = pd.concat(parts)
        a = fit_fe(bd, "m ~ x + w | city").params["x"]
        b = fit_fe(bd, "y ~ x + m + w | city").params["m"]
        loop.append(a * b)
    np.testing.assert_allclose(r.info["boot_draws"], loop, rtol=1e-8)


def test_monte_carlo_coverage_of_bootstrap_ci():
    """40 panels with a*b = 0.2: the 95% cluster-bootstrap CI covers ~95% (binomial sd 0.034)."""
    cover = []
    for rep in range(40):
        df = _panel(100 + rep)
        r = fit_mediation(df, x="x", mediator="m", y="y", controls=["w"], fe=["city", "year"],
                          cluster="city", n_boot=199, seed=rep, progress=False)
        cover.append(r.boot_ci[0] <= 0.2 <= r.boot_ci[1])
    assert abs(np.mean(cover) - 0.95) < 0.12


def test_bad_input(pg):
    with pytest.raises(ValueError, match="three different"):
        fit_mediation(pg, x="X", mediator="X", y="Y")
    with pytest.raises(ValueError, match="not in the data"):
        fit_mediation(pg, x="X", mediator="Q", y="Y")
    with pytest.raises(ValueError, match="ci must"):
        fit_mediation(pg, x="X", mediator="M", y="Y", ci="bca")
