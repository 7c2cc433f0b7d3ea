"""HonestDiD: confidence sets for an event study's post-treatment effect that stay valid when parallel trends
fails within a stated bound (Rambachan & Roth 2023, "A more credible approach to parallel trends", REStud
90(5); the R package HonestDiD).

Input: event-study coefficients ``beta = (beta_pre, beta_post)`` relative to the reference period t = -1 and
their covariance ``Sigma`` (any of our event studies: TWFE ``event_study``, ``sun_abraham``, Callaway-Sant'Anna's
``aggregate("dynamic")`` with a universal base period, ``imputation_did`` with its pre-period leads). Target
``theta = l' tau_post`` (default ``l = e_1``: the effect in the first treated period). ``beta = tau + delta``
with ``delta_pre = beta_pre`` (no effect before treatment) and the post-treatment violation ``delta_post``
restricted to a set ``Delta``:

* relative magnitudes ``Delta^RM(Mbar)``: every post-treatment change of the violation is at most ``Mbar``
  times the largest pre-treatment change, ``|delta_{t+1} - delta_t| <= Mbar max_{s<0} |delta_{s+1} - delta_s|``
  (``restriction="rm"``; ``Mbar = 0`` is parallel trends after treatment, ``Mbar = 1`` "no worse than the
  worst pre-period"). Confidence set: the conditional-least-favourable hybrid test of Andrews, Roth & Pakes
  (2023, "Inference for linear conditional moment inequalities", REStud), ``C-LF``, inverted on a grid
  of ``grid_points`` values of theta over ``[-20, 20] sd(l'beta_post)`` (the R package's default), the union
  over the location ``s`` of the largest pre-period change and its sign, post-period moments only; the
  least-favourable critical value at size ``kappa = alpha/10`` from 1,000 draws of N(0, A Sigma A').
* smoothness ``Delta^SD(M)``: the slope of the violation changes by at most ``M`` between consecutive
  periods, ``|(delta_{t+1} - delta_t) - (delta_t - delta_{t-1})| <= M`` (``restriction="sd"``; ``M = 0``
  allows exactly a linear trend extrapolated from the pre-periods). Confidence set: the optimal fixed-length
  confidence interval (FLCI) of Armstrong & Kolesar (2018) among affine estimators ``theta^ = l'beta_post +
  w'beta_pre``: minimise ``h chi(M b(h)/h)`` over the standard deviation h, where ``b(h)`` is the smallest
  worst-case bias of an estimator with sd at most h (a second-order cone program) and ``chi(t)`` the
  (1 - alpha) quantile of |N(t, 1)| (computed exactly, where the R package simulates 10^6 draws).

Conventions that change numbers (the R package's defaults, kept): ``alpha = 0.05``; ``grid_points = 1000``
(RM; the reported bounds are grid points); ``kappa = alpha/10``; RM uses post-period moments only; the LF
draws come from ``numpy.random.RandomState(seed).multivariate_normal`` (``seed = 0``, as the Python port
``honestdid`` draws them; R draws differently, so the LF critical value differs from R's in the simulation
error). Every linear programme of the ARP test, min eta s.t. ``y - X delta <= eta sd``, is solved through its
dual, whose feasible set ``{lambda >= 0: sd'lambda = 1, X'lambda = 0}`` does not depend on ``y`` or theta: its
vertices are enumerated once (at most 50,000 candidate bases; larger problems fall back to ``linprog``), so
every test on the grid and every least-favourable draw is a matrix product. That is what makes a sensitivity
analysis take a second instead of minutes.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations
from math import comb
from typing import Any, Sequence

import numpy as np
import pandas as pd

import analysis.estimators.distributions as dist

__all__ = ["HonestDiDResult", "honest_did", "event_study_input", "folded_normal_quantile", "RESTRICTIONS"]

RESTRICTIONS = {"rm": "relative magnitudes, Delta^RM(Mbar)", "sd": "smoothness, Delta^SD(M)"}
MAX_BASES = 50_000


# ---------------------------------------------------------------- inputs


def event_study_input(result) -> tuple[np.ndarray, np.ndarray, list, list]:
    """(beta, Sigma, pre-period labels, post-period labels) of one of our event studies, pre-periods first in
    time order and the reference period t = -1 left out (its coefficient is 0 by construction)."""
    cov = getattr(result, "cov", None)
    if cov is None:
        raise ValueError(f"{getattr(result, 'model', 'this result')} carries no covariance (cov is None; a "
                         "bootstrapped Callaway-Sant'Anna aggregation?): HonestDiD needs one")
    times = _relative_times(result)
    pairs = sorted((r, term) for term, r in times.items() if r != -1)
    pre = [(r, t) for r, t in pairs if r < 0]
    post = [(r, t) for r, t in pairs if r >= 0]
    if not pre or not post:
        raise ValueError(f"HonestDiD needs pre- and post-period coefficients; got relative times "
                         f"{[r for r, _ in pairs]}")
    if [r for r, _ in pre] != list(range(pre[0][0], -1)):
        raise ValueError(f"the pre-periods must run without gaps up to t-2 (t-1 is the reference); got "
                         f"{[r for r, _ in pre]}")
    terms = [t for _, t in pre + post]
    beta = result.params[terms].to_numpy(dtype=float)
    sigma = result.cov.loc[terms, terms].to_numpy(dtype=float)
    if not np.all(np.isfinite(beta)) or not np.all(np.isfinite(sigma)):
        raise ValueError("event-study coefficients or their covariance are not finite")
    return beta, sigma, [r for r, _ in pre], [r for r, _ in post]


def _relative_times(result) -> dict[str, int]:
    """term -> relative period, for every event-study result type we have."""
    rel = getattr(result, "relative_times", None)
    if rel:                                   # EventStudyResult, SunAbrahamResult (reference omitted)
        return dict(zip(result.params.index, (int(r) for r in rel)))
    if getattr(result, "kind", None) == "dynamic":   # Callaway-Sant'Anna aggregate("dynamic")
        if result.info.get("base_period") != "universal":
            raise ValueError("Callaway-Sant'Anna's pre-period ATTs with base_period='varying' are one-period "
                             "changes, not event-study coefficients: use base_period='universal' for HonestDiD")
        return {t: int(float(t[2:])) for t in result.params.index if t.startswith("e=")}
    out = {}
    for term in result.params.index:         # imputation_did: "t", "t+1", leads "t-2", ...
        if term == "t":
            out[term] = 0
        elif term.startswith("t") and term[1:2] in "+-" and term[2:].isdigit():
            out[term] = int(term[1:])
    if not out:
        raise ValueError(f"{getattr(result, 'model', type(result).__name__)} is not an event study HonestDiD "
                         "can read (terms like 't-2', 't', 't+1' or 'e=0')")
    return out


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class HonestDiDResult:
    """Robust confidence sets, one row per value of M (or Mbar), beside the original one (parallel trends)."""

    restriction: str
    method: str
    table: pd.DataFrame            # M, lb, ub
    original: tuple[float, float]
    estimate: float
    l_vec: np.ndarray
    alpha: float
    pre_periods: list = field(default_factory=list)
    post_periods: list = field(default_factory=list)

    @property
    def breakdown(self) -> float:
        """The largest M (Mbar) of the table whose set excludes 0 (nan if none does)."""
        excl = self.table[(self.table["lb"] > 0) | (self.table["ub"] < 0)]
        return float(excl["M"].max()) if len(excl) else np.nan

    def breakdown_text(self) -> str:
        sym = "M̄" if self.restriction == "rm" else "M"
        if np.isnan(self.breakdown):
            return f"every set contains 0 (no breakdown {sym} on this grid)"
        return f"breakdown {sym} = {self.breakdown:.3g}"

    def plot(self, ax=None, title: str | None = None):
        """The sensitivity plot: the original interval and the robust one for every M (Mbar)."""
        from analysis.estimators.did.core import new_figure

        if ax is None:
            fig, ax = new_figure((6, 3.6))
        else:
            fig = ax.figure
        t = self.table
        step = float(np.min(np.diff(t["M"]))) if len(t) > 1 else 1.0
        x0 = float(t["M"].min()) - step
        ax.errorbar([x0], [self.estimate], yerr=[[self.estimate - self.original[0]], [self.original[1] - self.estimate]],
                    fmt="o", color="C3", capsize=3, label="original (parallel trends)")
        mid = (t["lb"] + t["ub"]) / 2
        ax.errorbar(t["M"], mid, yerr=[mid - t["lb"], t["ub"] - mid], fmt="none", ecolor="C0", capsize=3,
                    label=f"robust ({self.method})")
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        sym = "M̄" if self.restriction == "rm" else "M"
        ax.set_xticks([x0, *t["M"]])
        ax.set_xticklabels(["original", *(f"{m:g}" for m in t["M"])])
        ax.set_xlabel(f"{sym} ({RESTRICTIONS[self.restriction]})")
        ax.set_ylabel(f"{int(round(100 * (1 - self.alpha)))}% confidence set of θ")
        ax.set_title(title or f"HonestDiD sensitivity; {self.breakdown_text()}", fontsize=9)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


# ---------------------------------------------------------------- the LP through its dual vertices


class _DualPolytope:
    """Vertices of ``{lambda >= 0 : sd'lambda = 1, X'lambda = 0}``: ``eta(y) = min_d max_i (y_i - x_i'd)/sd_i``
    equals ``max_v v'y`` over them (LP duality), for every y."""

    def __init__(self, sd: np.ndarray, X: np.ndarray):
        m, k = X.shape
        E = np.vstack([sd, X.T])                         # (k+1) x m
        self.E = E
        self.vertices = None
        if comb(m, k + 1) > MAX_BASES:
            return
        rhs = np.zeros(k + 1)
        rhs[0] = 1.0
        verts = []
        for basis in combinations(range(m), k + 1):
            EB = E[:, basis]
            if abs(np.linalg.det(EB)) < 1e-12:
                continue
            lam_b = np.linalg.solve(EB, rhs)
            if np.all(lam_b >= -1e-12):
                v = np.zeros(m)
                v[list(basis)] = np.maximum(lam_b, 0.0)
                verts.append(v)
        self.vertices = np.unique(np.round(np.array(verts), 14), axis=0) if verts else np.zeros((0, m))

    def solve(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """(eta*, an optimal dual vertex lambda) for one y."""
        if self.vertices is None:
            return self._linprog(y)
        values = self.vertices @ y
        j = int(np.argmax(values))
        return float(values[j]), self.vertices[j]

    def eta_many(self, Y: np.ndarray) -> np.ndarray:
        """eta* for every column of Y (m x n)."""
        if self.vertices is None:
            return np.array([self._linprog(Y[:, i])[0] for i in range(Y.shape[1])])
        return (self.vertices @ Y).max(axis=0)

    def max_linear(self, f: np.ndarray) -> tuple[float, np.ndarray]:
        """max f'lambda over the polytope (ARP's max programme) and its maximiser."""
        if self.vertices is None:
            from scipy.optimize import linprog

            rhs = np.zeros(self.E.shape[0])
            rhs[0] = 1.0
            res = linprog(-f, A_eq=self.E, b_eq=rhs, bounds=[(0, None)] * len(f), method="highs")
            return (-res.fun, res.x) if res.success else (np.nan, np.zeros(len(f)))
        values = self.vertices @ f
        j = int(np.argmax(values))
        return float(values[j]), self.vertices[j]

    def _linprog(self, y):
        from scipy.optimize import linprog

        k = self.E.shape[0] - 1
        sd, X = self.E[0], self.E[1:].T
        res = linprog(np.r_[1.0, np.zeros(k)], A_ub=np.column_stack([-sd, -X]), b_ub=-y,
                      bounds=[(None, None)] * (k + 1), method="highs")
        if not res.success:
            return np.nan, np.zeros(len(y))
        return float(res.x[0]), -res.ineqlin.marginals


# ---------------------------------------------------------------- ARP conditional / hybrid test


def _truncnorm_quantile(p: float, lo: float, hi: float, mu: float = 0.0, sd: float = 1.0) -> float:
    """Quantile of N(mu, sd^2) truncated to [lo, hi] (on the side of the mean where the tails are accurate;
    scipy's truncnorm where even that underflows)."""
    if sd <= 0:
        return mu
    a, b = (lo - mu) / sd, (hi - mu) / sd
    if a >= b:
        return mu + a * sd
    if a > 0:       # right tail: work with survival probabilities
        sa, sb = float(dist.norm_sf(a)), float(dist.norm_sf(b))
        q = -float(dist.norm_ppf(sa - p * (sa - sb))) if sa > 0 else np.nan
    else:
        fa, fb = float(dist.norm_cdf(a)), float(dist.norm_cdf(b))
        q = float(dist.norm_ppf(fa + p * (fb - fa)))
    if not np.isfinite(q) or not (a - 1e-9 <= q <= b + 1e-9):
        from scipy.stats import truncnorm

        q = float(truncnorm.ppf(p, a, b))
    return float(mu + q * sd)


def _vlo_vup_dual(eta: float, s_T: np.ndarray, gamma: np.ndarray, sigma: np.ndarray, poly: _DualPolytope):
    """ARP Appendix D, Algorithm 1: the truncation points when the LP is degenerate (bisection on the max
    programme, whose feasible set is the dual polytope)."""
    tol_c, tol_eq = 1e-6, 1e-6
    gsg = float(gamma @ sigma @ gamma)
    b_vec = sigma @ gamma / gsg

    def check(c):
        value, sol = poly.max_linear(s_T + b_vec * c)
        return np.isfinite(value) and abs(c - value) <= tol_eq, sol

    sd_b = np.sqrt(gsg)
    lo0, hi0 = min(-100.0, eta - 20 * sd_b), max(100.0, eta + 20 * sd_b)
    if not check(eta)[0]:
        return eta, np.inf

    def edge(start, inside, upward):
        ok, sol = check(start)
        if ok:
            return np.inf if upward else -np.inf
        denom = 1.0 - float(sol @ b_vec)
        mid = float(sol @ s_T) / denom if abs(denom) > 1e-15 else start
        ok, sol = check(mid)
        iters, dif = 1, 0.0
        while not ok:
            iters += 1
            if iters >= 10:
                dif = tol_c + 1
                break
            denom = 1.0 - float(sol @ b_vec)
            mid = float(sol @ s_T) / denom if abs(denom) > 1e-15 else mid
            ok, sol = check(mid)
        a, b = (inside, mid) if upward else (mid, inside)
        while dif > tol_c and iters < 10_000:
            iters += 1
            mid = (a + b) / 2
            if check(mid)[0] == upward:
                a = mid
            else:
                b = mid
            dif = b - a
        return mid

    return edge(lo0, eta, False), edge(hi0, eta, True)


def _lp_test(y: np.ndarray, X: np.ndarray, sigma: np.ndarray, poly: _DualPolytope, alpha: float, kappa: float,
             lf_cv: float) -> bool:
    """ARP's conditional test with the least-favourable hybrid of E[y - X delta] <= 0: True = reject."""
    eta, lam = poly.solve(y)
    if not np.isfinite(eta):
        return False
    if eta > lf_cv:
        return True
    mod_size = (alpha - kappa) / (1 - kappa)
    k = X.shape[1]
    B = lam > 1e-6
    degenerate = int(B.sum()) != k + 1
    XB = X[B]
    full_rank = XB.size > 0 and np.linalg.matrix_rank(XB) == min(XB.shape)
    sd = np.sqrt(np.diag(sigma))
    if degenerate or not full_rank:
        gamma = lam
        gsg = float(gamma @ sigma @ gamma)
        if abs(gsg) < np.finfo(float).eps:
            return eta > 0
        s_T = y - sigma @ gamma * float(gamma @ y) / gsg
        vlo, vup = _vlo_vup_dual(eta, s_T, gamma, sigma, poly)
        sdb = np.sqrt(gsg)
        zlo, zup, stat = vlo / sdb, min(vup, lf_cv) / sdb, eta / sdb
    else:
        m = len(y)
        I = np.eye(m)
        cb, cbc = np.column_stack([sd[B], XB]), np.column_stack([sd[~B], X[~B]])
        sol = np.linalg.solve(cb, I[B])
        Gamma_B = cbc @ sol - I[~B]
        v_B = sol[0]
        s2 = float(v_B @ sigma @ v_B)
        sdb = np.sqrt(s2)
        rho = Gamma_B @ sigma @ v_B / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            maximand = -(Gamma_B @ y) / rho + float(v_B @ y)
        vlo = float(maximand[rho > 0].max()) if np.any(rho > 0) else -np.inf
        vup = float(maximand[rho < 0].min()) if np.any(rho < 0) else np.inf
        zlo, zup, stat = vlo / sdb, min(vup, lf_cv) / sdb, eta / sdb
    if not (zlo <= stat <= zup):
        return False
    return stat > max(0.0, _truncnorm_quantile(1 - mod_size, zlo, zup))


def _lf_draws(sigma: np.ndarray, sims: int, seed: int) -> np.ndarray:
    """The least-favourable draws N(0, sigma), as the Python port draws them (RandomState(seed))."""
    return np.random.RandomState(seed).multivariate_normal(np.zeros(sigma.shape[0]), sigma, size=sims).T


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """An invertible matrix whose first row is l' (then unit vectors, the pivots of rref([l, I]))."""
    rows = [l_vec]
    for j in range(len(l_vec)):
        e = np.zeros(len(l_vec))
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([*rows, e])) == len(rows) + 1:
            rows.append(e)
        if len(rows) == len(l_vec):
            break
    return np.vstack(rows)


def _a_rm(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Constraint matrix of Delta^RM for a fixed location s of the largest pre-period change and its sign
    (A delta <= 0), the reference period's column dropped."""
    T = n_pre + n_post
    At = np.zeros((T, T + 1))
    for r in range(T):
        At[r, r], At[r, r + 1] = -1.0, 1.0
    v = np.zeros(T + 1)
    idx = n_pre + s - 1
    v[idx], v[idx + 1] = -1.0, 1.0
    if not positive:
        v = -v
    bound = np.vstack([np.tile(v, (n_pre, 1)), np.tile(mbar * v, (n_post, 1))])
    A = np.vstack([At - bound, -At - bound])
    A = A[np.sum(A**2, axis=1) > 1e-10]
    return np.delete(A, n_pre, axis=1)


def _rm_grid_accept(beta, sigma, n_pre, n_post, l_vec, mbar, alpha, kappa, grid, seed, sims):
    """Accepted grid points of the C-LF test for Delta^RM(Mbar): the union over s and the sign."""
    accept = np.zeros(len(grid), bool)
    post = slice(n_pre, n_pre + n_post)
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = _a_rm(n_pre, n_post, mbar, s, positive)
            d = np.zeros(A.shape[0])
            Y = A @ beta - d
            SY = A @ sigma @ A.T
            if n_post > 1:
                rows = np.flatnonzero(np.sum(A[:, post] != 0, axis=1) > 0)
                AG = A[:, post] @ np.linalg.inv(_gamma_matrix(l_vec))
                one, X = AG[rows, 0], AG[rows, 1:]
                SYr = SY[np.ix_(rows, rows)]
                poly = _DualPolytope(np.sqrt(np.diag(SYr)), X)
                lf_cv = float(np.quantile(poly.eta_many(_lf_draws(SYr, sims, seed)), 1 - kappa))
                Yr = Y[rows]
                # the hybrid's first stage rejects wherever eta* > lf_cv: all grid points at once
                todo = ~accept & (poly.eta_many(Yr[:, None] - one[:, None] * grid[None, :]) <= lf_cv)
                for i in np.flatnonzero(todo):
                    accept[i] = not _lp_test(Yr - one * grid[i], X, SYr, poly, alpha, kappa, lf_cv)
            else:
                keep = A[:, -1] != 0      # post-period moments only
                accept |= _no_nuisance_accept(beta, sigma, A[keep], d[keep], n_pre, alpha, kappa, grid, seed, sims)
    return accept


def _no_nuisance_accept(beta, sigma, A, d, n_pre, alpha, kappa, grid, seed, sims):
    """One post-period: the LF-hybrid test of E[A (beta - theta e_post)] - d <= 0 (no nuisance parameters)."""
    SA = A @ sigma @ A.T
    sdA = np.sqrt(np.diag(SA))
    draws = _lf_draws(SA, sims, seed) / sdA[:, None]
    lf_cv = float(np.quantile(draws.max(axis=0), 1 - kappa))
    At, dt = A / sdA[:, None], d / sdA
    alpha_t = (alpha - kappa) / (1 - kappa)
    e = np.zeros(len(beta))
    e[n_pre] = 1.0
    out = np.zeros(len(grid), bool)
    for i, theta in enumerate(grid):
        y = beta - e * theta
        moments = At @ y - dt
        j = int(np.argmax(moments))
        if moments[j] > lf_cv:
            continue
        gamma = At[j]
        Abar = At - At[j][None, :]
        dbar = dt - dt[j]
        gsg = float(gamma @ sigma @ gamma)
        c = sigma @ gamma / gsg
        z = y - c * float(gamma @ y)
        Ac = Abar @ c
        with np.errstate(divide="ignore", invalid="ignore"):
            obj = (dbar - Abar @ z) / Ac
        vlo = float(obj[Ac < 0].max()) if np.any(Ac < 0) else -np.inf
        vup = float(obj[Ac > 0].min()) if np.any(Ac > 0) else np.inf
        mu = float(dt[j])
        crit = max(0.0, _truncnorm_quantile(1 - alpha_t, vlo, vup, mu=mu, sd=np.sqrt(gsg)))
        out[i] = not (moments[j] + mu > crit)
    return out


# ---------------------------------------------------------------- FLCI for Delta^SD


def folded_normal_quantile(p: float, mean: float) -> float:
    """The p-quantile of |N(mean, 1)|: the c with Phi(c - mean) - Phi(-c - mean) = p (exact, by root finding;
    the R package simulates 10^6 draws)."""
    from scipy.optimize import brentq

    t = abs(float(mean))
    return brentq(lambda c: dist.norm_cdf(c - t) - dist.norm_cdf(-c - t) - p, 0.0, t + 10.0, xtol=1e-14)


def _flci(beta, sigma, n_pre, n_post, l_vec, M, alpha) -> tuple[float, float]:
    """Optimal FLCI for Delta^SD(M) (module docstring): (lower, upper)."""
    import cvxpy as cp
    from scipy.optimize import minimize_scalar

    K = n_pre
    S_pre = sigma[:K, :K]
    S_pp = sigma[:K, K:]
    var_post = float(l_vec @ sigma[K:, K:] @ l_vec)
    D = np.eye(K) - np.eye(K, k=-1)                  # l-space pre weights = D w
    Q = D.T @ S_pre @ D
    Q = (Q + Q.T) / 2
    lin = 2 * D.T @ (S_pp @ l_vec)
    target = float(np.arange(1, n_post + 1) @ l_vec)
    const = sum(abs(float(np.arange(1, s + 1) @ l_vec[n_post - s:])) for s in range(1, n_post + 1)) - target
    Lt = np.tril(np.ones((K, K)))
    Qh = np.linalg.cholesky(Q + 1e-14 * np.trace(Q) * np.eye(K)).T

    def variance(w):
        return float(w @ Q @ w + lin @ w + var_post)

    w, U = cp.Variable(K), cp.Variable(K)
    h2 = cp.Parameter(nonneg=True)                   # h^2: keeps the programme DPP (compiled once)
    base = [cp.abs(Lt @ w) <= U, cp.sum(w) == target]
    bias_prob = cp.Problem(cp.Minimize(cp.sum(U)),
                           base + [cp.sum_squares(Qh @ w) + lin @ w + var_post <= h2])
    var_prob = cp.Problem(cp.Minimize(cp.sum_squares(Qh @ w) + lin @ w), base)
    var_prob.solve(solver=cp.CLARABEL)
    h_min = np.sqrt(max(var_prob.value + var_post, 0.0))
    w0 = np.zeros(K)
    w0[-1] = target
    h_0 = np.sqrt(max(variance(w0), 0.0))

    def bias(hv):
        h2.value = hv * hv
        for solver, opts in ((cp.CLARABEL, {}), (cp.SCS, {"eps": 1e-10, "max_iters": 200_000})):
            try:
                with warnings.catch_warnings():     # "inaccurate" is judged by the status below
                    warnings.simplefilter("ignore", UserWarning)
                    bias_prob.solve(solver=solver, **opts)
            except cp.SolverError:      # near h_min the feasible set is a sliver: the next solver, else infeasible
                continue
            if bias_prob.status in ("optimal", "optimal_inaccurate"):
                return M * (const + bias_prob.value), np.array(w.value)
        return np.inf, None

    def chi(t):
        return folded_normal_quantile(1 - alpha, t)

    def half_length(hv):
        b, _ = bias(hv)
        return chi(b / hv) * hv if np.isfinite(b) else np.inf

    if h_0 - h_min <= 1e-12 * max(h_0, 1e-300):
        h_star = h_0
    else:
        lo = h_min * (1 + 1e-9) + 1e-15
        opt = minimize_scalar(half_length, bounds=(lo, h_0), method="bounded", options={"xatol": 1e-10 * h_0})
        h_star = opt.x if half_length(opt.x) <= half_length(h_0) else h_0
    b_star, w_star = bias(h_star)
    if w_star is None:
        w_star, b_star = w0, M * const
    ell = D @ w_star
    estimate = float(ell @ beta[:K] + l_vec @ beta[K:])
    hl = chi(b_star / h_star) * h_star if h_star > 0 else 0.0     # R's half-length: at h*, the sd bound
    return estimate - hl, estimate + hl


# ---------------------------------------------------------------- the user-facing function


def honest_did(result=None, *, beta: Sequence[float] | None = None, sigma: Any = None, n_pre: int | None = None,
               restriction: str = "rm", M: Sequence[float] | None = None, l_vec: Sequence[float] | None = None,
               alpha: float = 0.05, grid_points: int = 1000, seed: int = 0, lf_draws: int = 1000) -> HonestDiDResult:
    """Rambachan-Roth sensitivity analysis of an event study (module docstring for the methods).

    Give an event-study result (``event_study``, ``sun_abraham``, Callaway-Sant'Anna ``aggregate("dynamic")``
    with a universal base period, ``imputation_did`` with ``leads``) or ``beta``, ``sigma`` and ``n_pre``
    directly (pre-periods first, the reference period left out). ``restriction``: ``"rm"`` (relative
    magnitudes, C-LF) or ``"sd"`` (smoothness, FLCI). ``M``: the values of Mbar / M (defaults: Mbar 0, 0.5,
    ..., 2; M from 0 to the largest pre-period second difference in 5 steps). ``l_vec``: weights of the
    post-period effects (default: the first post period). Returns a :class:`HonestDiDResult` (``table`` of
    M, lb, ub; ``original``; ``breakdown``; ``plot()``).
    """
    if restriction not in RESTRICTIONS:
        raise ValueError(f"restriction must be one of {sorted(RESTRICTIONS)}, got {restriction!r}")
    if result is not None:
        beta, sigma, pre_t, post_t = event_study_input(result)
        n_pre = len(pre_t)
    else:
        if beta is None or sigma is None or n_pre is None:
            raise ValueError("give an event-study result, or beta, sigma and n_pre")
        beta, sigma = np.asarray(beta, dtype=float), np.asarray(sigma, dtype=float)
        pre_t, post_t = list(range(-n_pre - 1, -1)), list(range(len(beta) - n_pre))
    n_post = len(beta) - n_pre
    if sigma.shape != (len(beta), len(beta)):
        raise ValueError(f"sigma must be {len(beta)} x {len(beta)}, got {sigma.shape}")
    if n_pre < 1 or n_post < 1:
        raise ValueError("HonestDiD needs at least one pre- and one post-period coefficient")
    if restriction == "sd" and n_pre < 2:
        raise ValueError("the smoothness restriction needs at least two pre-period coefficients")
    l_vec = np.eye(n_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float)
    if l_vec.shape != (n_post,):
        raise ValueError(f"l_vec must have one weight per post period ({n_post})")
    if M is None:
        if restriction == "rm":
            M = np.linspace(0, 2, 5)
        else:
            second = np.abs(np.diff(np.r_[beta[:n_pre], 0.0], n=2)) if n_pre >= 2 else np.array([0.0])
            M = np.linspace(0, max(float(second.max()), float(np.sqrt(sigma[0, 0]))), 5)
    M = [float(m) for m in M]
    if any(m < 0 for m in M):
        raise ValueError(f"M must be non-negative, got {M}")
    sd_theta = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    theta_hat = float(l_vec @ beta[n_pre:])
    z = float(dist.norm_ppf(1 - alpha / 2))
    original = (theta_hat - z * sd_theta, theta_hat + z * sd_theta)
    rows = []
    if restriction == "rm":
        grid = np.linspace(-20 * sd_theta, 20 * sd_theta, int(grid_points))
        for m in M:
            acc = _rm_grid_accept(beta, sigma, n_pre, n_post, l_vec, m, alpha, alpha / 10, grid, seed, lf_draws)
            rows.append((m, float(grid[acc].min()) if acc.any() else np.nan,
                         float(grid[acc].max()) if acc.any() else np.nan))
        method = "C-LF"
    else:
        for m in M:
            rows.append((m, *_flci(beta, sigma, n_pre, n_post, l_vec, m, alpha)))
        method = "FLCI"
    return HonestDiDResult(restriction=restriction, method=method, table=pd.DataFrame(rows, columns=["M", "lb", "ub"]),
                           original=original, estimate=theta_hat, l_vec=l_vec, alpha=alpha, pre_periods=pre_t,
                           post_periods=post_t)
