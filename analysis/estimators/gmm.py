"""Blundell-Bond system GMM for dynamic panels.

Equation::

    y_it = rho_1 y_i,t-1 + ... + rho_p y_i,t-p + x_it' beta + lambda_t + mu_i + e_it

estimated on the stacked system of the first-differenced equation (which removes ``mu_i``) and
the levels equation (Arellano & Bover 1995; Blundell & Bond 1998).

Instruments (xtabond2 conventions, Roodman 2009 "How to do xtabond2"):

* GMM-style for ``y`` and ``endog`` regressors: levels dated ``t-2 ... t-max_lag`` in the
  differenced equation, the difference dated ``t-1`` in the levels equation; for
  ``predetermined`` regressors lags start at ``t-1`` (difference dated ``t`` in levels).
  ``collapse=True`` uses one column per lag instead of one per lag and period.
  ``max_lag=None`` uses every available lag (beware instrument proliferation; the count is in
  ``info["n_instruments"]`` and a warning is recorded when it exceeds the number of groups).
* IV-style for the ``controls`` (strictly exogenous regressors) and the period dummies: one column, differenced in the
  differenced equation and in levels in the levels equation (xtabond2 ``iv(...)``, eq(both));
  the constant is instrumented by itself in the levels equation.

Estimation and conventions that change numbers:

* One-step: ``W1 = (sum_i Z_i' H Z_i)^-1`` with ``H`` = the tridiagonal ``(2, -1)`` matrix for the
  differenced rows, identity for the level rows and zero off-diagonal blocks (``h="ab"``;
  ``h="identity"`` gives the 2SLS weight ``(Z'Z)^-1``). One-step SE are cluster-robust by entity.
* Two-step: ``W2 = (sum_i Z_i' e1_i e1_i' Z_i)^-1`` from one-step residuals; SE with the
  Windmeijer (2005) finite-sample correction (``windmeijer=False`` gives the uncorrected
  ones). No small-sample factor; z inference (xtabond2 without ``small``). The uncorrected
  two-step variance is ``(X'Z W2 Z'X)^-1`` with ``W2`` from the one-step residuals (xtabond2);
  linearmodels' IVGMM instead re-evaluates the meat at the two-step residuals, so its SE differ
  by a few percent while coefficients and J coincide (asserted in the tests).
* AR(m) test (Arellano & Bond 1991): on the differenced residuals, with the full variance
  including the estimation-effect terms evaluated with the estimator's own ``W`` and ``V``.
* Sargan (not robust) from the one-step estimate, ``sigma^2`` from the differenced residuals
  (``e'e / (2 n_diff)``); Hansen J from the two-step estimate, ``J = e2'Z W2 Z'e2``; df =
  instruments minus coefficients.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import cluster_sums, factorize
from analysis.estimators.formula import check_frame
from analysis.estimators.statistics import (
    AR1_P,
    AR1_Z,
    AR2_P,
    AR2_Z,
    HANSEN_J,
    HANSEN_J_P,
    N_INSTRUMENTS,
    N_UNITS,
    SARGAN,
    SARGAN_P,
)

__all__ = ["fit_system_gmm"]


@dataclass
class _Block:
    """Rows of one equation: arrays over the (entity, period) grid, flattened."""

    valid: np.ndarray        # (N*T,) bool
    X: np.ndarray            # (N*T, K)
    y: np.ndarray            # (N*T,)


def _lag(a: np.ndarray, l: int) -> np.ndarray:
    """Shift an (N, T) array by l periods (NaN-filled)."""
    out = np.full_like(a, np.nan)
    if l == 0:
        return a.copy()
    if l < a.shape[1]:
        out[:, l:] = a[:, :-l]
    return out


def fit_system_gmm(
    data: pd.DataFrame,
    *,
    y: str,
    entity: str,
    time: str,
    lags: int = 1,
    controls: Sequence[str] = (),
    endog: Sequence[str] = (),
    predetermined: Sequence[str] = (),
    time_effects: bool = True,
    max_lag: int | None = None,
    collapse: bool = False,
    two_step: bool = True,
    windmeijer: bool = True,
    h: str = "ab",
) -> EstimationResult:
    """Blundell-Bond system GMM (see the module docstring for instruments and conventions).

    Parameters
    ----------
    y : dependent variable; ``lags`` lags of it are regressors (GMM-style instruments).
    entity, time : panel keys; periods are the sorted distinct values of ``time`` (gaps = missing).
    controls : strictly exogenous control variables (IV-style instruments).
    endog, predetermined : regressors instrumented GMM-style from lag 2 / lag 1.
    time_effects : add period dummies (IV-style).
    max_lag : deepest lag used as GMM instrument in the differenced equation (None: all).
    collapse : collapse the GMM-style instrument sets (Roodman 2009).
    two_step : two-step efficient GMM (with Windmeijer SE) or one-step robust.

    Returns
    -------
    EstimationResult (model ``"SYS-GMM"``) with ``cov`` (Windmeijer-corrected two-step, or one-step
    robust) and ``stats`` AR1_z/AR1_p, AR2_z/AR2_p, Hansen_J/_p (two-step), Sargan/_p,
    N_instruments, N_units (the groups); ``info`` has the one-step estimates.
    """
    if lags < 1:
        raise ValueError("lags must be >= 1 (a dynamic panel needs the lagged dependent variable)")
    if h not in ("ab", "identity"):
        raise ValueError("h must be 'ab' or 'identity'")
    controls, endog, predetermined = list(controls), list(endog), list(predetermined)
    xvars = controls + endog + predetermined
    if len(set(xvars)) < len(xvars) or y in xvars:
        raise ValueError("each regressor may appear once, in exactly one of controls / endog / predetermined")
    check_frame(data, [y, *xvars], [entity, time])
    if data.duplicated([entity, time]).any():
        raise ValueError(f"duplicated ({entity}, {time}) rows; one row per entity-period is required")
    ent, N = factorize(data[entity].to_numpy())
    per, T = factorize(data[time].to_numpy())
    first_lag = 2 if lags == 1 else lags + 1
    if T < lags + 3:
        raise ValueError(f"need at least {lags + 3} periods for system GMM with {lags} lag(s), got {T}")

    def grid(col: str) -> np.ndarray:
        a = np.full((N, T), np.nan)
        a[ent, per] = data[col].to_numpy(float)
        return a

    Y = grid(y)
    Xg = {v: grid(v) for v in xvars}
    names = [f"L{l}.{y}" for l in range(1, lags + 1)] + xvars
    period_labels = np.sort(pd.unique(data[time]))
    dummy_periods = list(range(lags + 1, T)) if time_effects else []  # base = first level period
    names += [f"period[{period_labels[t]}]" for t in dummy_periods] + ["_cons"]

    lev_cols = [_lag(Y, l) for l in range(1, lags + 1)] + [Xg[v] for v in xvars]
    tt = np.broadcast_to(np.arange(T), (N, T))
    dums = [(tt == t).astype(float) for t in dummy_periods]
    lev_cols += dums + [np.ones((N, T))]
    dif_cols = [c - _lag(c, 1) for c in lev_cols[: lags + len(xvars)]]
    dif_cols += [d - _lag(d, 1) for d in dums] + [np.zeros((N, T))]
    dY = Y - _lag(Y, 1)
    t_ok_d = tt >= lags + 1
    t_ok_l = tt >= lags
    Xd = np.stack([c.ravel() for c in dif_cols], axis=1)
    Xl = np.stack([c.ravel() for c in lev_cols], axis=1)
    vd = (t_ok_d.ravel() & np.isfinite(dY.ravel()) & np.isfinite(Xd).all(axis=1))
    vl = (t_ok_l.ravel() & np.isfinite(Y.ravel()) & np.isfinite(Xl).all(axis=1))

    # ---- instruments
    zd, zl = [], []  # lists of (N*T,) columns for diff rows / level rows

    def gmm_style(v: np.ndarray, a: int):
        dv = v - _lag(v, 1)
        hi = T if max_lag is None else max_lag
        if collapse:
            for l in range(a, hi + 1):
                col = np.nan_to_num(_lag(v, l)).ravel()
                if np.any(col[vd] != 0):
                    zd.append(col)
                    zl.append(np.zeros(N * T))
            col = np.nan_to_num(_lag(dv, a - 1)).ravel()
            zd.append(np.zeros(N * T))
            zl.append(col)
        else:
            for t in range(lags + 1, T):
                for l in range(a, min(hi, t) + 1):
                    col = np.zeros((N, T))
                    col[:, t] = np.nan_to_num(v[:, t - l])
                    col = col.ravel()
                    if np.any(col[vd] != 0):
                        zd.append(col)
                        zl.append(np.zeros(N * T))
            for t in range(lags, T):
                if t - (a - 1) - 1 < 0:
                    continue
                col = np.zeros((N, T))
                col[:, t] = np.nan_to_num(dv[:, t - (a - 1)])
                col = col.ravel()
                if np.any(col[vl] != 0):
                    zd.append(np.zeros(N * T))
                    zl.append(col)

    gmm_style(Y, first_lag)
    for v in endog:
        gmm_style(Xg[v], 2)
    for v in predetermined:
        gmm_style(Xg[v], 1)
    for j, v in enumerate(controls):
        zd.append(np.nan_to_num(dif_cols[lags + xvars.index(v)].ravel()))
        zl.append(np.nan_to_num(Xg[v].ravel()))
    for d in dums:
        zd.append(np.nan_to_num((d - _lag(d, 1)).ravel()))
        zl.append(d.ravel())
    zd.append(np.zeros(N * T))
    zl.append(np.ones(N * T))
    Zd = np.stack(zd, axis=1)
    Zl = np.stack(zl, axis=1)

    # ---- stack rows: differenced then level, grouped by entity
    rows_ent = np.repeat(np.arange(N), T)
    rows_t = np.tile(np.arange(T), N)
    Z = np.vstack([Zd[vd], Zl[vl]])
    X = np.vstack([Xd[vd], Xl[vl]])
    yy = np.concatenate([dY.ravel()[vd], Y.ravel()[vl]])
    g_ent = np.concatenate([rows_ent[vd], rows_ent[vl]])
    is_diff = np.concatenate([np.ones(vd.sum(), bool), np.zeros(vl.sum(), bool)])
    row_t = np.concatenate([rows_t[vd], rows_t[vl]])
    # drop instrument columns that are identically zero in the estimation sample
    keep = np.any(Z != 0, axis=0)
    Z = Z[:, keep]
    L, K = Z.shape[1], X.shape[1]
    if np.linalg.matrix_rank(X) < K:
        raise ValueError(f"singular design among {names}; drop a collinear regressor or time_effects")
    if L < K:
        raise ValueError(f"under-identified: {L} instruments for {K} coefficients")

    # ---- one-step weight
    if h == "identity":
        zhz = Z.T @ Z
    else:
        zhz = Z[~is_diff].T @ Z[~is_diff] + 2 * Z[is_diff].T @ Z[is_diff]
        # adjacent differenced rows of the same entity: -1 off-diagonal
        d_idx = np.flatnonzero(is_diff)
        key = {(g_ent[i], row_t[i]): i for i in d_idx}
        pairs = [(i, key[(g_ent[i], row_t[i] - 1)]) for i in d_idx if (g_ent[i], row_t[i] - 1) in key]
        if pairs:
            a_, b_ = np.array(pairs).T
            cross = Z[a_].T @ Z[b_]
            zhz = zhz - cross - cross.T
    W1 = np.linalg.pinv(zhz)
    zx, zy = Z.T @ X, Z.T @ yy

    def gmm(W):
        A = np.linalg.inv(zx.T @ W @ zx)
        return A @ zx.T @ W @ zy, A

    def entity_sums(M: np.ndarray) -> np.ndarray:
        return cluster_sums(M, g_ent, N)

    b1, A1 = gmm(W1)
    e1 = yy - X @ b1
    G1 = entity_sums(Z * e1[:, None])            # (N, L)
    omega1 = G1.T @ G1
    V1 = A1 @ zx.T @ W1 @ omega1 @ W1 @ zx @ A1   # one-step cluster-robust
    sigma2 = float(e1[is_diff] @ e1[is_diff]) / (2 * is_diff.sum())
    g1 = Z.T @ e1
    sargan = float(g1 @ W1 @ g1) / sigma2
    df_over = L - K

    if two_step:
        W2 = np.linalg.pinv(omega1)
        b, A2 = gmm(W2)
        e = yy - X @ b
        V = A2
        if windmeijer:
            AX = np.zeros((N, L, K))
            np.add.at(AX, g_ent, Z[:, :, None] * X[:, None, :])
            w2ze = W2 @ (Z.T @ e)
            left = A2 @ zx.T @ W2
            D = np.empty((K, K))
            for k in range(K):
                d_omega = -(AX[:, :, k].T @ G1 + G1.T @ AX[:, :, k])
                D[:, k] = -left @ d_omega @ w2ze
            V = A2 + D @ A2 + A2 @ D.T + D @ V1 @ D.T
        g = Z.T @ e
        hansen = float(g @ W2 @ g)
        W_used = W2
    else:
        b, V, e, W_used, A2 = b1, V1, e1, W1, A1
        hansen = float(G1.sum(0) @ np.linalg.pinv(omega1) @ G1.sum(0))

    # ---- Arellano-Bond AR(m) tests on the differenced residuals
    def ar_test(m: int) -> tuple[float, float]:
        ed = np.full((N, T), np.nan)
        di = np.flatnonzero(is_diff)
        ed[g_ent[di], row_t[di]] = e[di]
        lagged = _lag(ed, m)
        w = np.zeros(len(e))
        ok = np.isfinite(lagged[g_ent[di], row_t[di]])
        w[di[ok]] = lagged[g_ent[di[ok]], row_t[di[ok]]]
        if not ok.any():
            return np.nan, np.nan
        e_use = np.where(w != 0, e, 0.0)
        num = float(w @ e_use)
        we_i = np.zeros(N)
        np.add.at(we_i, g_ent, w * e_use)
        wX = w @ X
        Ge = entity_sums(Z * e[:, None])
        zew = (Ge * we_i[:, None]).sum(axis=0)       # sum_i Z_i'e_i (e_i'w_i)
        var = float(we_i @ we_i) - 2 * float(wX @ A2 @ zx.T @ W_used @ zew) + float(wX @ V @ wX)
        if var <= 0:
            return np.nan, np.nan
        z = num / np.sqrt(var)
        return float(z), float(2 * stats.norm.sf(abs(z)))

    ar1 = ar_test(1)
    ar2 = ar_test(2)
    stats_ = {
        AR1_Z: ar1[0], AR1_P: ar1[1], AR2_Z: ar2[0], AR2_P: ar2[1],
        HANSEN_J: hansen, HANSEN_J_P: float(stats.chi2.sf(hansen, df_over)) if df_over > 0 else np.nan,
        SARGAN: sargan, SARGAN_P: float(stats.chi2.sf(sargan, df_over)) if df_over > 0 else np.nan,
        N_INSTRUMENTS: int(L), N_UNITS: int(N),
    }
    info = {
        "dep_var": y, "entity": entity, "time": time, "cluster": entity,
        "vcov": ("Windmeijer (two-step)" if windmeijer else "two-step") if two_step else "one-step robust",
        "one_step": pd.Series(b1, index=names), "one_step_se": pd.Series(np.sqrt(np.diag(V1)), index=names),
        "n_instruments": L, "overid_df": df_over, "collapse": collapse, "max_lag": max_lag,
        "two_step": two_step, "windmeijer": windmeijer and two_step, "h": h,
        "n_diff_rows": int(is_diff.sum()), "n_level_rows": int((~is_diff).sum()),
        "design": {"X": X, "Z": Z, "y": yy, "entity": g_ent, "is_diff": is_diff, "period": row_t},
        "warning": (f"{L} instruments for {N} groups: instrument proliferation weakens the Hansen test; "
                    "use collapse=True or max_lag") if L > N else "",
    }
    return EstimationResult(
        params=pd.Series(b, index=names), bse=pd.Series(np.sqrt(np.diag(V)), index=names),
        nobs=int((~is_diff).sum()), model="SYS-GMM" + (" (two-step)" if two_step else " (one-step)"),
        df_resid=None, stats=stats_, info=info, cov=pd.DataFrame(V, index=names, columns=names),
    )
