"""LeSage-Pace direct, indirect and total effects of spatial panel models, with simulated inference.

For the lag models (SAR, SDM) the N x N matrix of partial derivatives of E[y_t] with respect to x_k is
``S_k(rho) = (I - rho W)^-1 (beta_k I + theta_k W)`` (LeSage and Pace 2009, eq. 2.46); the summary
measures are

* direct   = tr(S_k) / N = beta_k a(rho) + theta_k b(rho),  a = tr((I-rho W)^-1)/N,  b = tr((I-rho W)^-1 W)/N
* total    = 1' S_k 1 / N = beta_k m0(rho) + theta_k m1(rho)   (= (beta_k + theta_k)/(1 - rho) for row-standardised W)
* indirect = total - direct.

``a`` and ``b`` are evaluated exactly from the eigenvalues w_i of W (a = mean 1/(1 - rho w_i),
b = mean w_i/(1 - rho w_i)) when they are available (``method="eigen"``), or from the power series
sum_j rho^j tr(W^j)/N with the traces up to ``trace_order`` estimated by Hutchinson's estimator
(``method="trace"``, LeSage-Pace's fast path for large N; no dense N x N matrix). m0, m1 use the
exact moments 1'W^j 1/N.

Inference (LeSage-Pace 2009, sec. 2.7): ``n_draws`` draws of (beta, theta, rho) from the asymptotic
normal distribution N(estimate, inverse information); draws with rho outside the stationary interval
are discarded. The reported effect is evaluated at the ML estimates (as splm and spreg do); the
standard error is the standard deviation over the draws; p-values and intervals are normal. The
simulated mean (LeSage-Pace's point estimate) is in ``info["simulated_mean"]``.

For SDEM and SLX the effects are linear in the parameters (direct = beta, indirect = theta * mean row
sum of W, total = their sum) and the standard errors are exact (delta method); for SEM the direct
effect is beta and there are no spillovers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.estimators.base import EstimationResult
from analysis.estimators.spatial.logdet import eigenvalues, power_traces

KINDS = ("direct", "indirect", "total")


@dataclass(frozen=True, repr=False)  # keep the base class's summary() repr
class ImpactsResult(EstimationResult):
    """Effects as an ``EstimationResult`` with terms ``direct:<x>``, ``indirect:<x>``, ``total:<x>``."""

    def table(self) -> pd.DataFrame:
        """One row per variable; columns (direct|indirect|total) x (estimate|std_error|p_value)."""
        rows = {}
        p = self.pvalues
        for term in self.params.index:
            kind, var = term.split(":", 1)
            rows.setdefault(var, {})
            rows[var][(kind, "estimate")] = self.params[term]
            rows[var][(kind, "std_error")] = self.bse[term]
            rows[var][(kind, "p_value")] = p[term]
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.columns = pd.MultiIndex.from_tuples(out.columns)
        return out.reindex(columns=pd.MultiIndex.from_product([KINDS, ["estimate", "std_error", "p_value"]]))


def _row_moments(W, order: int) -> np.ndarray:
    """1' W^j 1 / N for j = 0..order (exact, by repeated products)."""
    v = np.ones(W.shape[0])
    out = np.empty(order + 1)
    for j in range(order + 1):
        out[j] = v.mean()
        v = W @ v
    return out


class _Multipliers:
    """a(rho), b(rho), m0(rho), m1(rho) for a vector of rho values."""

    def __init__(self, W, *, method: str, logdet, trace_order: int, row_std: bool):
        self.W, self.row_std, self.order = W, row_std, trace_order
        if method == "auto":
            method = "eigen" if (logdet is not None and logdet.eig is not None) or W.shape[0] <= 1000 else "trace"
        if method not in ("eigen", "trace"):
            raise ValueError(f"method must be 'auto', 'eigen' or 'trace', got {method!r}")
        self.method = method
        if method == "eigen":
            self.eig = logdet.eig if logdet is not None and logdet.eig is not None else eigenvalues(W)
        elif logdet is not None and logdet.method == "mc" and len(logdet._traces) >= trace_order + 2:
            self.traces = logdet._traces[: trace_order + 2] / W.shape[0]  # reuse the log-det probes
        else:
            self.traces = power_traces(W, trace_order + 1) / W.shape[0]
        if not row_std:
            self.moments = _row_moments(W, trace_order + 1)

    def __call__(self, rho: np.ndarray) -> tuple[np.ndarray, ...]:
        rho = np.asarray(rho, dtype=float)
        if self.method == "eigen":
            inv = 1.0 / (1.0 - rho[:, None] * self.eig[None, :])
            a = np.real(inv.mean(axis=1))
            b = np.real((inv * self.eig[None, :]).mean(axis=1))
        else:
            powers = rho[:, None] ** np.arange(self.order + 1)[None, :]
            a = powers @ self.traces[:-1]
            b = powers @ self.traces[1:]
        if self.row_std:
            m0 = m1 = 1.0 / (1.0 - rho)
        else:
            powers = rho[:, None] ** np.arange(self.order + 1)[None, :]
            m0, m1 = powers @ self.moments[:-1], powers @ self.moments[1:]
        return a, b, m0, m1


def impacts(result, *, n_draws: int = 1000, seed: int | None = None, method: str = "auto",
            trace_order: int = 100, progress: bool = False) -> ImpactsResult:
    """Direct, indirect and total effects of a fitted spatial panel model (see module docstring)."""
    spec = result.spec
    model = spec["model"]
    xs = list(spec["x"])
    durbin = set(spec["durbin"])
    W = spec["W"]
    row_std = bool(result.info["W_row_standardised"])
    params = result.params
    cov = result.cov.loc[params.index, params.index].to_numpy()

    def theta_name(v: str) -> str | None:
        return f"W*{v}" if v in durbin else None

    names = [f"{k}:{v}" for k in KINDS for v in xs]
    if model in ("sem", "sdem", "slx", "ols"):
        mean_rowsum = 1.0 if row_std else float(np.asarray(W.sum(axis=1)).mean())
        est, se = [], []
        L = np.zeros((3 * len(xs), len(params)))
        for k, kind in enumerate(KINDS):
            for j, v in enumerate(xs):
                row = k * len(xs) + j
                if kind in ("direct", "total"):
                    L[row, params.index.get_loc(v)] = 1.0
                if kind in ("indirect", "total") and theta_name(v) and model in ("sdem", "slx"):
                    L[row, params.index.get_loc(theta_name(v))] = mean_rowsum
        est = L @ params.to_numpy()
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", L, cov, L), 0.0))
        V = L @ cov @ L.T
        return ImpactsResult(params=pd.Series(est, index=names), bse=pd.Series(se, index=names),
                             nobs=result.nobs, model=f"Impacts of {result.model}",
                             info={"method": "analytic (linear in parameters)", "n_draws": 0},
                             cov=pd.DataFrame(V, index=names, columns=names))

    mult = _Multipliers(W, method=method, logdet=spec.get("logdet"), trace_order=trace_order, row_std=row_std)
    ib = np.array([params.index.get_loc(v) for v in xs])
    it = np.array([params.index.get_loc(theta_name(v)) if theta_name(v) else -1 for v in xs])
    ir = params.index.get_loc("rho")

    def effects(theta: np.ndarray) -> np.ndarray:
        """(D, 3K) effects for a (D, p) block of parameter draws."""
        rho = theta[:, ir]
        a, b, m0, m1 = mult(rho)
        beta = theta[:, ib]
        th = np.where(it[None, :] >= 0, theta[:, np.maximum(it, 0)], 0.0)
        direct = beta * a[:, None] + th * b[:, None]
        total = beta * m0[:, None] + th * m1[:, None]
        return np.concatenate([direct, total - direct, total], axis=1)

    point = effects(params.to_numpy()[None, :])[0]
    rng = np.random.default_rng(seed)
    lo, hi = spec["logdet"].bounds() if spec.get("logdet") is not None else (-1.0, 1.0)
    chol = np.linalg.cholesky(cov + 1e-14 * np.eye(len(cov)) * np.trace(cov) / len(cov))
    chunks, kept, rejected = [], 0, 0
    chunk = 250
    bar = tqdm(total=n_draws, desc="impact draws", disable=not progress, leave=False)
    while kept < n_draws:
        z = rng.standard_normal((chunk, len(params)))
        draws = params.to_numpy()[None, :] + z @ chol.T
        ok = (draws[:, ir] > lo) & (draws[:, ir] < hi)
        rejected += int((~ok).sum())
        draws = draws[ok][: n_draws - kept]
        chunks.append(effects(draws))
        kept += len(draws)
        bar.update(len(draws))
        if rejected > 10 * n_draws:
            raise ValueError("most parameter draws have rho outside its interval; the estimate sits at the boundary")
    bar.close()
    sims = np.concatenate(chunks, axis=0) if chunks else np.empty((0, len(names)))
    se = sims.std(axis=0, ddof=1) if n_draws > 1 else np.full(len(names), np.nan)
    info = {"method": f"LeSage-Pace simulation ({mult.method} multipliers)", "n_draws": n_draws,
            "rejected_draws": rejected, "seed": seed,
            "simulated_mean": pd.Series(sims.mean(axis=0), index=names),
            "draws": pd.DataFrame(sims, columns=names)}
    # covariance of the simulated effects (its diagonal is se**2)
    V = np.cov(sims, rowvar=False, ddof=1) if n_draws > 1 else np.full((len(names), len(names)), np.nan)
    return ImpactsResult(params=pd.Series(point, index=names), bse=pd.Series(se, index=names), nobs=result.nobs,
                         model=f"Impacts of {result.model}", info=info,
                         cov=pd.DataFrame(np.atleast_2d(V), index=names, columns=names))
