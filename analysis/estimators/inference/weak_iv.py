"""Weak-instrument robust inference for an FE-2SLS model with one endogenous regressor: the Montiel Olea-
Pflueger effective F, the Anderson-Rubin test and its confidence set.

Model ``y = Y beta + W gamma + FE + u``, ``Y = Z pi + W delta + FE + v``, L excluded instruments Z. Every
column is demeaned by the fixed effects and residualised on W first (Frisch-Waugh), ``z = M Z``.

* Effective F (Montiel Olea & Pflueger 2013, "A robust test for weak instruments", JBES 31(3)):
  ``F_eff = pi^' S pi^ / tr(V_pi S)`` with ``S = z'z``, ``pi^`` the first-stage coefficients of z and
  ``V_pi`` their covariance under the fit's convention (HC1, CR1, multiway, Conley: the engine's meat and
  small-sample factor, the first stage's K). With one instrument it is the robust first-stage F; with iid
  errors it is the classical first-stage F (the Cragg-Donald F for one endogenous regressor); both
  identities are tested. MOP's critical values (which depend on the estimated covariances) are not
  computed here; Andrews, Stock & Sun (2019) compare F_eff with them, or with 10 as a rough guide.
* Anderson-Rubin (1949) test of H0: ``beta = b0``: regress ``r(b0) = M(y - Y b0)`` on z; the statistic is the
  Wald statistic of all L coefficients, ``AR(b0) = c' V(b0)^-1 c / L`` with the same covariance convention
  (iid: the classical AR F, ``(n-K)/L ||P_z r||^2 / ||M_z r||^2``, equal to ``ivmodels``' statistic;
  robust and clustered versions as in Andrews, Stock & Sun 2019, section 5). ``K`` counts z, W and the
  absorbed effects (nested in the clusters: the engine's rule). p-value from F(L, df) with the fit's df
  (n - K; G - 1 clustered) or, ``critical="chi2"``, from chi2(L) of ``L AR``. Valid whatever the strength of
  the instruments.
* The confidence set ``{b0 : AR(b0) <= F_crit}``: with ``c(b) = c0 - b c1`` and
  ``V(b) = V00 - b (V01 + V10) + b^2 V11`` (the scores are linear in b), its boundary solves
  ``det(V(b) - c(b) c(b)' / (L F_crit)) = 0``, a quadratic eigenvalue problem solved exactly through its
  2L x 2L companion pencil; the set is the union of the intervals between consecutive roots where AR is
  below the critical value: a bounded interval, two rays (unbounded), the whole line or, rarely, empty.
  It is unbounded exactly when the first-stage Wald test of pi = 0 does not reject (Dufour 1997).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import analysis.estimators.distributions as dist
from analysis.estimators.fixed_effects import dof_k, meat, small_sample
from analysis.estimators.inference.design import FormulaDesign
from analysis.estimators.inputs import DEFAULT_MISSING

__all__ = ["WeakIVResult", "weak_iv_robust", "effective_f", "CRITICAL"]

CRITICAL = ("f", "chi2")


@dataclass(frozen=True)
class WeakIVResult:
    """Effective F, the Anderson-Rubin test of ``null`` and the AR confidence set (a list of intervals)."""

    endog: str
    effective_f: float
    n_instruments: int
    null: float
    ar_f: float
    ar_df: tuple[float, float]
    ar_p_value: float
    conf_set: list[tuple[float, float]] = field(default_factory=list)
    alpha: float = 0.05
    critical: str = "f"
    vcov: str = ""
    n_dropped_na: int = 0        # rows dropped for missing values (missing="drop")

    @property
    def bounded(self) -> bool:
        return bool(self.conf_set) and all(np.isfinite(b) for iv in self.conf_set for b in iv)

    def to_frame(self) -> pd.DataFrame:
        text = " U ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in self.conf_set) or "empty"
        return pd.DataFrame([{"endog": self.endog, "effective_F": self.effective_f, "L": self.n_instruments,
                              "null": self.null, "AR_F": self.ar_f, "AR_p": self.ar_p_value,
                              "AR_conf_set": text, "alpha": self.alpha, "vcov": self.vcov}])


class _ARPieces:
    """The AR statistic as a function of b0 (module docstring): c(b) and V(b) are linear / quadratic in b."""

    def __init__(self, d: FormulaDesign):
        z = d.partial_w(d.Z)
        self.L = z.shape[1]
        self.S = z.T @ z
        B = np.linalg.inv(self.S)
        ry, rY = d.partial_w(d.y[:, None])[:, 0], d.partial_w(d.Y[:, :1])[:, 0]
        self.c0, self.c1 = B @ (z.T @ ry), B @ (z.T @ rY)
        e0, e1 = ry - z @ self.c0, rY - z @ self.c1
        k = self.L + d.W.shape[1]
        k_dof = dof_k(k, d.demeaner, d.spec)
        factor, self.df = small_sample(d.spec.kind, d.n, k_dof, d.spec.n_clusters)
        if d.spec.kind == "iid":
            E = np.column_stack([e0, e1])
            G = factor * (E.T @ E) / d.n
            self.V = [[G[a, b] * B for b in range(2)] for a in range(2)]
        else:
            M = meat(np.column_stack([z * e0[:, None], z * e1[:, None]]), d.spec)
            L = self.L
            self.V = [[factor * B @ M[a * L:(a + 1) * L, b * L:(b + 1) * L] @ B for b in range(2)] for a in range(2)]

    def cov(self, b: float) -> np.ndarray:
        V = self.V
        return V[0][0] - b * (V[0][1] + V[1][0]) + b * b * V[1][1]

    def statistic(self, b: float) -> float:
        c = self.c0 - b * self.c1
        return float(c @ np.linalg.solve(self.cov(b), c)) / self.L

    def conf_set(self, crit: float) -> list[tuple[float, float]]:
        """``{b : statistic(b) <= crit}`` as intervals, from the roots of det(V(b) - c(b)c(b)'/(L crit))."""
        from scipy import linalg

        q = self.L * crit
        V, c0, c1 = self.V, self.c0, self.c1
        A0 = V[0][0] - np.outer(c0, c0) / q
        A1 = -(V[0][1] + V[1][0]) + (np.outer(c0, c1) + np.outer(c1, c0)) / q
        A2 = V[1][1] - np.outer(c1, c1) / q
        L = self.L
        I, O = np.eye(L), np.zeros((L, L))
        vals = linalg.eigvals(np.block([[O, I], [-A0, -A1]]), np.block([[I, O], [O, A2]]))
        roots = np.sort([v.real for v in vals if np.isfinite(v) and abs(v.imag) <= 1e-9 * max(1.0, abs(v.real))])
        roots = np.unique(roots)
        span = max(1.0, float(np.max(np.abs(roots)))) if len(roots) else 1.0
        edges = [-np.inf, *roots, np.inf]
        out: list[tuple[float, float]] = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            mid = (lo + hi) / 2 if np.isfinite(lo) and np.isfinite(hi) else (hi - 10 * span if np.isfinite(hi)
                                                                          else lo + 10 * span if np.isfinite(lo) else 0.0)
            if self.statistic(mid) <= crit:
                if out and out[-1][1] == lo:
                    out[-1] = (out[-1][0], hi)
                else:
                    out.append((float(lo), float(hi)))
        return out


def effective_f(d: FormulaDesign) -> float:
    """Montiel Olea-Pflueger effective F of the first (only) endogenous regressor of a design (module docstring)."""
    z = d.partial_w(d.Z)
    y1 = d.partial_w(d.Y[:, :1])[:, 0]
    S = z.T @ z
    B = np.linalg.inv(S)
    pi = B @ (z.T @ y1)
    e = y1 - z @ pi
    k_dof = dof_k(z.shape[1] + d.W.shape[1], d.demeaner, d.spec)
    factor, _ = small_sample(d.spec.kind, d.n, k_dof, d.spec.n_clusters)
    if d.spec.kind == "iid":
        V = factor * float(e @ e) / d.n * B
    else:
        V = factor * B @ meat(z * e[:, None], d.spec) @ B
    return float(pi @ S @ pi / np.trace(V @ S))


def weak_iv_robust(data: pd.DataFrame, formula: str, *, cluster=None, vcov=None, null: float = 0.0,
                   alpha: float = 0.05, critical: str = "f", missing: str = DEFAULT_MISSING) -> WeakIVResult:
    """Effective F, Anderson-Rubin test of ``beta = null`` and the AR confidence set at level ``1 - alpha`` for
    ``fit_iv``'s formula with one endogenous regressor (``"y ~ w | fe | x ~ z1 + z2"``); ``cluster`` / ``vcov``
    / ``missing`` as in ``fit_iv`` (the module docstring gives the formulas and conventions)."""
    if critical not in CRITICAL:
        raise ValueError(f"critical must be one of {CRITICAL}, got {critical!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    d = FormulaDesign(data, formula, cluster=cluster, vcov=vcov, missing=missing, who="weak_iv_robust")
    f = d.formula
    if len(f.endog) != 1:
        raise ValueError(f"weak-IV robust inference here takes one endogenous regressor, got {list(f.endog)}")
    pieces = _ARPieces(d)
    L = pieces.L
    ar = pieces.statistic(null)
    if critical == "f":
        df = (float(L), float(pieces.df))
        p = float(dist.f_sf(ar, L, pieces.df)) if np.isfinite(pieces.df) else float(dist.chi2_sf(L * ar, L))
        crit = float(dist.f_ppf(1 - alpha, L, pieces.df))
    else:
        df = (float(L), np.inf)
        p = float(dist.chi2_sf(L * ar, L))
        crit = float(dist.chi2_ppf(1 - alpha, L)) / L
    return WeakIVResult(endog=f.endog[0], effective_f=effective_f(d), n_instruments=L, null=float(null), ar_f=ar,
                        ar_df=df, ar_p_value=p, conf_set=pieces.conf_set(crit), alpha=alpha, critical=critical,
                        vcov=d.spec.kind, n_dropped_na=d.n_dropped_na)

