"""Wild cluster bootstrap (``analysis.estimators.inference.wild_cluster_bootstrap``).

Validation:
* against wildboottest 0.3.2 (WildboottestCL, type "11" = CR1) on the dummy-variable form of the same FE
  regression, same seed and B: the weight draws are the same, so every bootstrap t agrees draw by draw up
  to the constant ratio of the two small-sample factors (wildboottest counts the dummies in K; ours counts
  the absorbed effects the engine's way), which cancels in the p-value: p-values equal exactly; WCR and
  WCU, Rademacher and Webb weights; and p at both ends of our test-inversion interval (+-1e-4) equals
  wildboottest's at the shifted null (wildboottest tests 0: y - r x is passed);
* with enumerated Rademacher weights on 8 clusters (2^8 = 256 draws, the exact bootstrap distribution,
  which wildboottest also enumerates): p-values equal under one tie rule (the two sign vectors +-1 reproduce
  |t| exactly; ours counts a tie within 1e-10 as not exceeding, wildboottest's strict comparison leaves it to
  rounding, so its p can be higher by 1/256 or 2/256);
* WRE (FE-2SLS), for which no Python peer exists: against a literal loop that builds every bootstrap
  sample (u~ and v~ times the cluster weight, the efficient first stage) and refits it with ``fit_iv``:
  every bootstrap t within 1e-10, p equal.
"""
import numpy as np
import pandas as pd
import pytest

from analysis.estimators import fit_fe, fit_iv
from analysis.estimators.inference import bootstrap_weights, wild_cluster_bootstrap
from tests.estimators.peers import dummy_design, wildboottest_cl

B = 999


def panel(G=30, T=10, seed=3, beta=0.05):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"prov": np.repeat(np.arange(G), T), "year": np.tile(np.arange(2013, 2013 + T), G)})
    a, b = rng.normal(size=G)[df.prov], rng.normal(size=T)[df.year - 2013]
    df["x"] = rng.normal(size=len(df)) + 0.5 * a + 0.5 * rng.normal(size=G)[df.prov]
    df["w1"] = rng.normal(size=len(df))
    scale = 1 + 0.5 * np.abs(rng.normal(size=G))[df.prov]
    df["y"] = beta * df.x + 0.3 * df.w1 + a + b + rng.normal(size=len(df)) * scale
    return df


F = "y ~ x + w1 | prov + year"


@pytest.fixture(scope="module")
def df():
    return panel()


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
@pytest.mark.parametrize("impose_null", [True, False])
def test_draw_by_draw_parity_with_wildboottest(df, weights, impose_null):
    ours = wild_cluster_bootstrap(df, F, cluster="prov", n_boot=B, seed=11, weights=weights, impose_null=impose_null)
    peer = wildboottest_cl(dummy_design(df, ["x", "w1"], ["prov", "year"]), df["y"].to_numpy(), df["prov"].to_numpy(),
                           0, n_boot=B, seed=11, weights=weights, impose_null=impose_null)
    ratio = ours.t_boot / peer.t_boot
    assert np.ptp(ratio) < 1e-9 * ratio.mean()
    assert ratio.mean() == pytest.approx(float(ours.t_stat / np.ravel(peer.t_stat)[0]), rel=1e-9)
    assert 0.02 < ours.p_value < 0.9                  # an informative p-value, not a corner
    assert ours.p_value == peer.pvalue
    assert ours.n_boot == B and not ours.enumerated and ours.method == ("WCR" if impose_null else "WCU")
    fit = fit_fe(df, F, cluster="prov")
    assert (ours.estimate, ours.se) == (fit.params["x"], fit.bse["x"])
    assert ours.p_value_cr1 == pytest.approx(fit.pvalues["x"], rel=1e-12)


def test_interval_ends_are_where_wildboottest_crosses_alpha(df):
    ours = wild_cluster_bootstrap(df, F, cluster="prov", n_boot=B, seed=11)
    X = dummy_design(df, ["x", "w1"], ["prov", "year"])
    lo, hi = ours.conf_int
    assert lo < ours.estimate < hi
    for end, inside in ((lo, 1e-4), (hi, -1e-4)):
        p_in = wildboottest_cl(X, (df.y - (end + inside) * df.x).to_numpy(), df.prov.to_numpy(), 0, n_boot=B, seed=11).pvalue
        p_out = wildboottest_cl(X, (df.y - (end - inside) * df.x).to_numpy(), df.prov.to_numpy(), 0, n_boot=B, seed=11).pvalue
        assert p_in > 0.05 >= p_out
        ours_in = wild_cluster_bootstrap(df, F, cluster="prov", n_boot=B, seed=11, null=end + inside, ci=False)
        assert ours_in.p_value == p_in
    # WCU: the interval is estimate -+ the 95% quantile of |t*| times the CR1 SE
    wcu = wild_cluster_bootstrap(df, F, cluster="prov", n_boot=B, seed=11, impose_null=False)
    q = np.quantile(np.abs(wcu.t_boot), 0.95)
    assert wcu.conf_int == pytest.approx((wcu.estimate - q * wcu.se, wcu.estimate + q * wcu.se), rel=1e-12)


def test_enumerated_rademacher_is_exact_and_equals_wildboottest():
    small = panel(G=8, T=12, seed=4, beta=0.15)
    ours = wild_cluster_bootstrap(small, F, cluster="prov", n_boot=B, seed=2)
    assert ours.enumerated and ours.n_boot == 2**8
    peer = wildboottest_cl(dummy_design(small, ["x", "w1"], ["prov", "year"]), small["y"].to_numpy(),
                           small["prov"].to_numpy(), 0, n_boot=B, seed=2)
    assert peer.B == 2**8
    # the all-ones and all-minus-ones draws reproduce |t| exactly (WCR); wildboottest's strict comparison lets
    # rounding count them as exceeding, ours counts a tie (within 1e-10) as not exceeding: the p-values differ
    # by exactly those 2 draws of 256, and agree with the same tie rule
    t_peer = abs(np.ravel(peer.t_stat)[0])
    ties = np.isclose(np.abs(peer.t_boot), t_peer, rtol=1e-10, atol=0)
    assert ties.sum() == 2
    assert ours.p_value == np.mean(np.abs(peer.t_boot) > t_peer * (1 + 1e-10))
    assert peer.pvalue - ours.p_value in (0.0, 1 / 256, 2 / 256)
    np.testing.assert_allclose(np.sort(np.abs(ours.t_boot)) / np.sort(np.abs(peer.t_boot)),
                               ours.t_stat / np.ravel(peer.t_stat)[0], rtol=1e-9)
    # the exact distribution does not depend on the seed
    assert wild_cluster_bootstrap(small, F, cluster="prov", n_boot=B, seed=99, ci=False).p_value == ours.p_value


def _iv_panel(G=8, T=12, seed=5):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"prov": np.repeat(np.arange(G), T), "year": np.tile(np.arange(T), G)})
    a, b = rng.normal(size=G)[df.prov], rng.normal(size=T)[df.year]
    df["z"], df["z2"], df["w"] = rng.normal(size=(3, len(df)))
    e = rng.normal(size=len(df))
    df["x"] = 0.8 * df.z + 0.3 * df.z2 + 0.2 * df.w + a + 0.6 * e + rng.normal(size=len(df))
    df["y"] = 0.1 * df.x + 0.5 * df.w + a + b + e
    return df


def test_wre_equals_refitting_every_bootstrap_sample():
    df = _iv_panel()
    f, r0 = "y ~ w | prov + year | x ~ z + z2", 0.05
    ours = wild_cluster_bootstrap(df, f, cluster="prov", n_boot=B, seed=1, null=r0)
    assert ours.method == "WRE" and ours.enumerated and ours.n_boot == 256
    # the bootstrap DGP by hand: restricted u~, efficient first stage (with u~), v~ keeps eta u~
    d = df.assign(yr=df.y - r0 * df.x)
    u_t = fit_fe(d, "yr ~ w | prov + year").info["resid"]
    first = fit_fe(d.assign(ut=u_t), "x ~ z + z2 + w + ut | prov + year")
    v_t = first.info["resid"] + first.params["ut"] * u_t
    x_fit, y_fit = df.x - v_t, df.y - r0 * df.x - u_t
    V, _ = bootstrap_weights("rademacher", 8, B, 1)
    codes = pd.factorize(df.prov, sort=True)[0]
    t_loop = []
    for b in range(V.shape[1]):
        v = V[codes, b]
        xs = x_fit + v_t * v
        refit = fit_iv(df.assign(x=xs, y=xs * r0 + y_fit + u_t * v), f, cluster="prov")
        t_loop.append((refit.params["x"] - r0) / refit.bse["x"])
    np.testing.assert_allclose(ours.t_boot, t_loop, rtol=0, atol=1e-10)
    assert ours.p_value == np.mean(np.abs(t_loop) > abs(ours.t_stat) * (1 + 1e-10))
    lo, hi = ours.conf_int
    for end, inside in ((lo, 1e-4), (hi, -1e-4)):
        assert wild_cluster_bootstrap(df, f, cluster="prov", n_boot=B, seed=1, null=end + inside, ci=False).p_value > 0.05
        assert wild_cluster_bootstrap(df, f, cluster="prov", n_boot=B, seed=1, null=end - inside, ci=False).p_value <= 0.05


def test_bad_input(df):
    with pytest.raises(ValueError, match="weights must be"):
        wild_cluster_bootstrap(df, F, cluster="prov", weights="mammen")
    with pytest.raises(ValueError, match="not a coefficient"):
        wild_cluster_bootstrap(df, F, cluster="prov", param="z")
    with pytest.raises(ValueError, match="not in the data"):
        wild_cluster_bootstrap(df, F, cluster="nope")
    iv = _iv_panel()
    with pytest.raises(ValueError, match="impose_null=False"):
        wild_cluster_bootstrap(iv, "y ~ w | prov + year | x ~ z", cluster="prov", impose_null=False)
    with pytest.raises(ValueError, match="one endogenous"):
        wild_cluster_bootstrap(iv.assign(x2=iv.z2 + iv.w), "y ~ 1 | prov | x + x2 ~ z + z2 + w", cluster="prov")
