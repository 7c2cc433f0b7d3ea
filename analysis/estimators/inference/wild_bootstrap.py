"""Wild cluster bootstrap tests and confidence intervals for one coefficient of an FE regression (WCR, WCU)
or of an FE-2SLS regression (WRE).

Why: with few clusters (study 003 has 30 provinces) CR1 t tests over-reject; the wild cluster bootstrap
with the null imposed is the standard remedy (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017;
Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild", Stata Journal 19(1), boottest).

OLS with absorbed fixed effects, ``y = X beta + D alpha + u``, H0: ``beta_j = r``, clusters g = 1..G:

* WCR (``impose_null=True``, the default): restricted estimate ``beta~`` (``beta~_j = r``) and residuals
  ``u~``; bootstrap samples ``y*_b = X beta~ + D alpha~ + u~ * v_gb`` with one weight ``v_gb`` per cluster;
  WCU (``impose_null=False``): the unrestricted ``beta^, u^`` instead, and the bootstrap t is centred on
  ``beta^_j``.
* Each sample is refitted with the fixed effects (so a year effect that is not nested in the clusters is
  re-estimated, exactly as refitting the dummy-variable regression would) and its CR1 t statistic
  ``t*_b = (beta*_bj - r) / se*_b`` (WCU: ``- beta^_j``) is formed with the same CR1 convention as the
  observed ``t = (beta^_j - r) / se`` (engine: ``G/(G-1) (N-1)/(N-K)``; the factor cancels in the p-value).
* Everything is linear in the weights, so no sample is refitted (Roodman et al. 2019): with
  ``a = X~ (X~'X~)^-1 e_j`` (X~ the demeaned regressors) and ``U~`` the n x G matrix of ``u~`` split by
  cluster, ``beta*_bj - beta~_j = c'v_b`` with ``c_g = sum_{i in g} a_i u~_i`` and the bootstrap scores are
  ``C v_b`` with ``C = [sum_{i in g} a_i (M U~)_ih]``, ``M`` the annihilator of the fixed effects and X.
  B draws cost two G x G x B products.

FE-2SLS with one endogenous regressor ``Y``, ``y = Y beta + W gamma + D alpha + u``, ``Y = Z pi + W delta +
D a + v`` (instruments Z):

* WRE, the wild restricted efficient bootstrap (Davidson & MacKinnon 2010, JBES 28(1); Roodman et al.
  2019, section 5): ``u~`` = residuals of ``y - Y r`` on W and the FE; ``pi~`` from the first stage
  augmented with ``u~`` (efficient under H0) and ``v~ = Y - Z pi~ - W delta~`` (so ``v~`` keeps the part
  correlated with ``u~``); samples ``Y* = Z pi~ + W delta~ + v~ * v_gb``, ``y* = Y* r + W gamma~ + u~ * v_gb``;
  each refitted by FE-2SLS with the CR1 variance of ``fit_iv``; vectorised over draws the same way
  (the instruments' cross-products with the cluster pieces of ``u~`` and ``v~``).

Weights (``weights``): ``"rademacher"`` (+1/-1 with probability 1/2) or ``"webb"`` (six points
+-sqrt(1/2), +-1, +-sqrt(3/2), Webb 2023, better for G below about 12). Draws come from
``numpy.random.default_rng(seed).choice(values, size=G * B).reshape(G, B)`` with the clusters in sorted
order -- wildboottest's own draw, so the same seed gives the same draws (the tests compare draw by draw).
With Rademacher weights and ``2**G <= n_boot`` all ``2**G`` sign vectors are enumerated instead: the
bootstrap distribution is then exact and ``n_boot`` becomes ``2**G``.

p-values (``pvalue``): ``"symmetric"`` (default, boottest's and wildboottest's) is the share of draws with
``|t*_b| > |t|`` (strictly greater, as wildboottest: a draw equal to the observed t does not count; "equal"
is within 1e-10 relative, so that rounding never decides a draw -- with enumerated weights the all-ones draw
reproduces the sample and ties |t| exactly);
``"equal-tailed"`` is ``2 min(P(t* < t), P(t* > t))``.

Confidence interval by test inversion: ``{r : p(r) > alpha}`` (boottest). WCR and WRE re-impose each
candidate ``r``; the bounds are found by bracketing from the CR1 interval and bisection to ``1e-6`` of the
CR1 standard error (WCR evaluates p(r) for a new r in O(B): ``u~(r)`` is linear in r). WCU's interval is
``beta^_j -+ q se`` with ``q`` the (1 - alpha) quantile of ``|t*|`` (symmetric) or the two tail quantiles.
An interval that does not close within 1,000 CR1 SEs is reported as infinite on that side.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Callable

import numpy as np
import pandas as pd

from analysis.estimators.fixed_effects import cluster_sums, dof_k, small_sample
from analysis.estimators.inference.design import FormulaDesign
from analysis.estimators.inputs import DEFAULT_MISSING

__all__ = ["WildBootstrapResult", "wild_cluster_bootstrap", "bootstrap_weights", "WEIGHTS", "PVALUE_TYPES"]

WEIGHTS = {
    "rademacher": np.array([-1.0, 1.0]),
    "webb": np.concatenate([-np.sqrt(np.array([3.0, 2.0, 1.0]) / 2), np.sqrt(np.array([1.0, 2.0, 3.0]) / 2)]),
}
PVALUE_TYPES = ("symmetric", "equal-tailed")
_CI_REACH = 1_000.0   # CR1 SEs searched on each side before an interval is declared open
_CI_TOL = 1e-6        # bisection tolerance, in CR1 SEs


@dataclass(frozen=True)
class WildBootstrapResult:
    """A wild cluster bootstrap test of ``param = null`` and the test-inversion interval."""

    param: str
    method: str                  # "WCR", "WCU" or "WRE"
    estimate: float
    se: float                    # CR1 standard error of the fit
    null: float
    t_stat: float                # (estimate - null) / se
    p_value: float               # bootstrap p-value
    p_value_cr1: float           # the fit's analytic CR1 p-value of the same null (t with G - 1 df)
    conf_int: tuple[float, float]
    n_boot: int
    n_clusters: int
    weights: str
    pvalue_type: str
    enumerated: bool
    seed: int | None
    alpha: float
    t_boot: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    n_dropped_na: int = 0        # rows dropped for missing values (missing="drop")

    def to_frame(self) -> pd.DataFrame:
        keys = ("param", "method", "estimate", "se", "null", "t_stat", "p_value", "p_value_cr1", "n_boot",
                "n_clusters", "weights", "pvalue_type", "enumerated", "seed")
        row = {k: getattr(self, k) for k in keys}
        row["conf_low"], row["conf_high"] = self.conf_int
        return pd.DataFrame([row])


def bootstrap_weights(weights: str, n_clusters: int, n_boot: int, seed: int | None) -> tuple[np.ndarray, bool]:
    """(G x B matrix of cluster weights, enumerated?) -- see the module docstring for the draw."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {sorted(WEIGHTS)}, got {weights!r}")
    if int(n_boot) < 1:
        raise ValueError("n_boot must be a positive integer")
    if weights == "rademacher" and n_clusters <= 30 and 2 ** n_clusters <= n_boot:
        return np.array(list(product([-1.0, 1.0], repeat=n_clusters))).T, True
    rng = np.random.default_rng(seed)
    return rng.choice(WEIGHTS[weights], size=n_clusters * int(n_boot), replace=True).reshape(n_clusters, int(n_boot)), False


_TIE = 1e-10   # |t*| within this (relative) distance of |t| is a tie: rounding must not decide a draw


def _pvalue(t: float, t_boot: np.ndarray, kind: str) -> float:
    tol = _TIE * max(1.0, abs(t))
    if kind == "symmetric":
        return float(np.mean(np.abs(t_boot) > np.abs(t) + tol))
    return float(2 * min(np.mean(t_boot > t + tol), np.mean(t_boot < t - tol)))


def _bisect(p_of: Callable[[float], float], inside: float, outside: float, alpha: float, tol: float) -> float:
    """The crossing of p(r) = alpha between a point inside the interval and one outside it."""
    while abs(outside - inside) > tol:
        mid = 0.5 * (inside + outside)
        if p_of(mid) > alpha:
            inside = mid
        else:
            outside = mid
    return 0.5 * (inside + outside)


def _invert(p_of: Callable[[float], float], estimate: float, se: float, alpha: float) -> tuple[float, float]:
    """Test-inversion interval ``{r: p(r) > alpha}`` around ``estimate`` (bracket by doubling, then bisect)."""
    bounds = []
    for side in (-1.0, 1.0):
        inside, step = estimate, 2.0 * se
        outside = estimate + side * step
        while p_of(outside) > alpha:
            inside, step = outside, 2 * step
            if step > _CI_REACH * se:
                outside = None
                break
            outside = estimate + side * step
        bounds.append(side * np.inf if outside is None else _bisect(p_of, inside, outside, alpha, _CI_TOL * se))
    return float(bounds[0]), float(bounds[1])


class _Design(FormulaDesign):
    """The formula's design with one cluster column, and the cluster pieces of a vector."""

    def __init__(self, data: pd.DataFrame, formula: str, cluster: str, missing: str):
        super().__init__(data, formula, cluster=cluster, missing=missing, who="wild_cluster_bootstrap")
        if self.spec.multiway:
            raise ValueError("the wild cluster bootstrap draws one weight per cluster of one column; "
                             f"got several cluster columns {cluster}")
        self.code, self.G = self.spec.cluster_code, int(self.spec.n_clusters)

    def split(self, u: np.ndarray) -> np.ndarray:
        """The n x G matrix whose column g is ``u`` on the rows of cluster g and 0 elsewhere."""
        out = np.zeros((self.n, self.G))
        out[np.arange(self.n), self.code] = u
        return out


def _wild_ols(d: _Design, j: int, se: float, ssc: float, V: np.ndarray, null: float, impose_null: bool,
              pvalue: str, alpha: float, ci: bool):
    X = d.W
    A = np.linalg.inv(X.T @ X)
    beta = A @ (X.T @ d.y)
    u_hat = d.y - X @ beta
    a = X @ A[:, j]                                  # beta_j = a'y
    # pieces linear in u: numerator c'v and scores C v, for u^ and for the direction of u~(r)
    c_hat = cluster_sums(a * u_hat, d.code, d.G)
    C_hat = cluster_sums(a[:, None] * d.annihilate(d.split(u_hat), X), d.code, d.G)
    N_hat, P_hat = c_hat @ V, C_hat @ V
    if not impose_null:
        t_boot = N_hat / np.sqrt(ssc * np.einsum("gb,gb->b", P_hat, P_hat))
        t = (beta[j] - null) / se
        p = _pvalue(t, t_boot, pvalue)
        if not ci:
            return t, p, (np.nan, np.nan), t_boot
        if pvalue == "symmetric":
            q = np.quantile(np.abs(t_boot), 1 - alpha)
            return t, p, (beta[j] - q * se, beta[j] + q * se), t_boot
        lo, hi = np.quantile(t_boot, [alpha / 2, 1 - alpha / 2])
        return t, p, (beta[j] - hi * se, beta[j] - lo * se), t_boot
    # u~(r) = u^ + kappa a with kappa = (beta^_j - r) / A_jj
    c_dir = cluster_sums(a * a, d.code, d.G)
    C_dir = cluster_sums(a[:, None] * d.annihilate(d.split(a), X), d.code, d.G)
    N_dir, P_dir = c_dir @ V, C_dir @ V
    q00 = np.einsum("gb,gb->b", P_hat, P_hat)
    q01 = np.einsum("gb,gb->b", P_hat, P_dir)
    q11 = np.einsum("gb,gb->b", P_dir, P_dir)

    def draws(r: float) -> np.ndarray:
        kappa = (beta[j] - r) / A[j, j]
        den = ssc * np.maximum(q00 + 2 * kappa * q01 + kappa**2 * q11, 0.0)
        return (N_hat + kappa * N_dir) / np.sqrt(den)

    def p_of(r: float) -> float:
        return _pvalue((beta[j] - r) / se, draws(r), pvalue)

    t_boot = draws(null)
    t = (beta[j] - null) / se
    return t, _pvalue(t, t_boot, pvalue), (_invert(p_of, beta[j], se, alpha) if ci else (np.nan, np.nan)), t_boot


class _WRE:
    """WRE bootstrap t statistics for any null r of one endogenous coefficient (module docstring).

    Every vector the bootstrap DGP needs (u~(r), v~(r)) is a linear combination of the demeaned columns
    ``[y, Y, Z, W]``, so the cluster pieces of each column (``z_g' M(col by cluster)``, ``z' (col by cluster)``)
    are computed once and a new r costs a few small regressions and two G x L x G x B products."""

    def __init__(self, d: _Design, ssc: float, V: np.ndarray):
        W, Z, code, G = d.W, d.Z, d.code, d.G
        self.d, self.ssc, self.V = d, ssc, V
        self.Qw = np.linalg.qr(W)[0] if W.shape[1] else np.zeros((d.n, 0))
        self.z = self._mw(Z)                                          # instruments net of W and the FE
        self.S = self.z.T @ self.z
        self.S_inv = np.linalg.inv(self.S)
        basis = np.column_stack([d.y, d.Y[:, 0], Z, W])               # n x nb
        self.basis = basis
        self.L, nb = Z.shape[1], basis.shape[1]
        n, L = d.n, self.L
        # z' (column b split by cluster): G x L x nb; z_g' M (column b split by cluster): G x L x G x nb
        self.z_cols = cluster_sums((self.z[:, :, None] * basis[:, None, :]).reshape(n, L * nb), code, G
                                   ).reshape(G, L, nb)
        split = np.zeros((n, G, nb))
        split[np.arange(n), code, :] = basis
        M_split = d.annihilate(split.reshape(n, G * nb), W).reshape(n, G, nb)
        self.zM_cols = cluster_sums((self.z[:, :, None, None] * M_split[:, None, :, :]).reshape(n, L * G * nb),
                                    code, G).reshape(G, L, G, nb)
        self.ZW = np.column_stack([Z, W])

    def _mw(self, A: np.ndarray) -> np.ndarray:
        return A - self.Qw @ (self.Qw.T @ A)

    def draws(self, r: float) -> np.ndarray:
        d, V, L = self.d, self.V, self.L
        y, Y, W = d.y, d.Y[:, 0], d.W
        nb, kw = self.basis.shape[1], W.shape[1]
        # u~ = y - Y r - W b_w (restricted structural residuals), as coefficients on the basis
        b_w = np.linalg.lstsq(W, y - Y * r, rcond=None)[0] if kw else np.zeros(0)
        a_u = np.zeros(nb)
        a_u[0], a_u[1], a_u[2 + L:] = 1.0, -r, -b_w
        u_t = self.basis @ a_u
        # efficient first stage: Y on Z, W and u~; v~ = Y - Z pi~ - W delta~ (keeps eta~ u~)
        coef = np.linalg.lstsq(np.column_stack([self.ZW, u_t]), Y, rcond=None)[0]
        a_v = np.zeros(nb)
        a_v[1], a_v[2:] = 1.0, -coef[:L + kw]
        pi_t = coef[:L]
        p = self.S @ pi_t
        Au = (self.z_cols @ a_u).T @ V                     # z'(u~ * v_b), L x B
        Av = (self.z_cols @ a_v).T @ V
        pv = p[:, None] + Av                               # z' Y*_b
        w = self.S_inv @ pv                                # P_z Y*_b = z w_b
        num = np.einsum("lb,lb->b", pv, self.S_inv @ Au)   # Y*'P_z u*
        den = np.einsum("lb,lb->b", pv, w)                 # Y*'P_z Y*
        delta = num / den                                  # beta*_b - r
        # cluster scores s_gb = w_b' z_g' e*_gb with e*_b = M(u~ * v_b) - delta_b (z pi~ + M(v~ * v_b))
        zg_zpi = cluster_sums(self.z * (self.z @ pi_t)[:, None], d.code, d.G)       # G x L
        part_u = np.einsum("glh,hb->glb", self.zM_cols @ a_u, V)
        part_v = np.einsum("glh,hb->glb", self.zM_cols @ a_v, V)
        inner = part_u - delta[None, None, :] * (zg_zpi[:, :, None] + part_v)
        scores = np.einsum("lb,glb->gb", w, inner)
        se_b = np.sqrt(self.ssc * np.einsum("gb,gb->b", scores, scores)) / den
        return delta / se_b


def wild_cluster_bootstrap(data: pd.DataFrame, formula: str, *, cluster: str, param: str | None = None,
                           null: float = 0.0, n_boot: int = 9999, weights: str = "rademacher",
                           impose_null: bool = True, pvalue: str = "symmetric", alpha: float = 0.05,
                           ci: bool = True, seed: int | None = None,
                           missing: str = DEFAULT_MISSING) -> WildBootstrapResult:
    """Wild cluster bootstrap test of ``param = null`` in ``formula`` (see the module docstring).

    ``formula`` is ``fit_fe``'s (``"y ~ x + w | fe1 + fe2"``: WCR, or WCU with ``impose_null=False``) or
    ``fit_iv``'s with one endogenous regressor (``"y ~ w | fe | x ~ z"``: WRE). ``param`` defaults to the
    first regressor (the endogenous one for IV). ``cluster`` is required (the bootstrap clusters are the
    CR1 clusters). ``missing`` as in ``fit_fe`` (count in ``n_dropped_na``). Returns a
    :class:`WildBootstrapResult` (its ``t_boot`` holds the B bootstrap t's).
    """
    from analysis.estimators.iv import fit_iv
    from analysis.estimators.panel import fit_fe

    if pvalue not in PVALUE_TYPES:
        raise ValueError(f"pvalue must be one of {PVALUE_TYPES}, got {pvalue!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    d = _Design(data, formula, cluster, missing)
    f = d.formula
    iv = bool(f.endog)
    if iv and len(f.endog) != 1:
        raise ValueError(f"the WRE bootstrap here takes one endogenous regressor, got {list(f.endog)}")
    if iv and not impose_null:
        raise ValueError("the IV bootstrap is WRE (restricted); impose_null=False is not available for IV")
    names = [*d.exog_names, *f.endog] if iv else d.exog_names
    param = param or (f.endog[0] if iv else f.exog[0])
    if param not in names:
        raise ValueError(f"param {param!r} is not a coefficient of {formula!r} ({names})")
    if iv and param != f.endog[0]:
        raise ValueError(f"the WRE bootstrap tests the endogenous coefficient {f.endog[0]!r}, not {param!r}")
    fit = (fit_iv if iv else fit_fe)(d.data, formula, cluster=d.cluster)
    estimate, se = float(fit.params[param]), float(fit.bse[param])
    V, enumerated = bootstrap_weights(weights, d.G, n_boot, seed)
    k = len(names)
    ssc = small_sample("CR1", d.n, dof_k(k, d.demeaner, d.spec), d.G)[0]
    if iv:
        wre = _WRE(d, ssc, V)

        def p_of(r: float) -> float:
            return _pvalue((estimate - r) / se, wre.draws(r), pvalue)

        t_boot = wre.draws(null)
        t = (estimate - null) / se
        p = _pvalue(t, t_boot, pvalue)
        bounds = _invert(p_of, estimate, se, alpha) if ci else (np.nan, np.nan)
        method = "WRE"
    else:
        t, p, bounds, t_boot = _wild_ols(d, names.index(param), se, ssc, V, null, impose_null, pvalue, alpha, ci)
        method = "WCR" if impose_null else "WCU"
    from analysis.estimators.distributions import t_sf

    p_cr1 = float(2 * t_sf(abs((estimate - null) / se), fit.df_resid))
    return WildBootstrapResult(
        param=param, method=method, estimate=estimate, se=se, null=float(null), t_stat=float(t), p_value=p,
        p_value_cr1=p_cr1, conf_int=(float(bounds[0]), float(bounds[1])), n_boot=int(V.shape[1]),
        n_clusters=d.G, weights=weights, pvalue_type=pvalue, enumerated=enumerated, seed=seed, alpha=alpha,
        t_boot=np.asarray(t_boot), n_dropped_na=d.n_dropped_na,
    )
