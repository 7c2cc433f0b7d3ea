"""Dynamic-panel GMM: Blundell-Bond system GMM and Arellano-Bond difference GMM.

Equation::

    y_it = rho_1 y_i,t-1 + ... + rho_p y_i,t-p + sum_j x_i,t-j' beta_j + lambda_t + mu_i + e_it

estimated on the first-differenced equation (which removes ``mu_i``; Arellano & Bond 1991,
``level_equation=False``, xtabond2's ``noleveleq``) or on the stacked system of the differenced and
the levels equation (Arellano & Bover 1995; Blundell & Bond 1998; the default).

Instruments (xtabond2 conventions, Roodman 2009 "How to do xtabond2"; the layout is pydynpd's, which
reproduces xtabond2 and which the tests match to 1e-6 on the Arellano-Bond data):

* GMM-style for ``y`` and the ``endog`` and ``predetermined`` regressors. A variable with lag limits
  ``(a, b)`` is instrumented in the differenced equation of period t by its levels dated
  ``t-a ... t-b`` (one column per lag and period; ``collapse=True``: one column per lag), and in the
  levels equation by its difference dated ``t-(a-1)`` (one column per period, or one). Defaults
  (xtabond2 ``gmm(L.y)``, ``gmm(x, lag(2 .))``, ``gmm(x, lag(1 .))``): ``a = 2`` for ``y`` whatever
  ``lags`` is, ``a = 2`` for ``endog``, ``a = 1`` for ``predetermined``, ``b = max_lag`` (None: every
  available lag). ``gmm_lags={"x": (a, b)}`` sets a variable's own limits (xtabond2 ``laglimits``).
  Instruments that are zero in the whole estimation sample are dropped; the count is
  ``N_instruments`` (a warning is recorded when it exceeds the number of groups).
* IV-style for the ``controls`` (strictly exogenous; each lag of ``regressor_lags`` is its own column)
  and the period dummies: one column, differenced in the differenced equation and in levels in the
  levels equation (xtabond2 ``iv(...)``, ``eq(both)``); the constant is instrumented by itself in the
  levels equation.
* Periods: the first levels period is ``t0 = max(lags, max regressor lag, max(a) - 1)``, the
  differenced equation starts at ``t0 + 1``; the period dummies are those of ``t0 + 1 ... T`` (the
  constant absorbs ``t0`` in system GMM; difference GMM has no constant).

Estimation and conventions that change numbers:

* One-step weight ``W1 = (sum_i Z_i' H Z_i)^-1``, xtabond2's ``h()``: ``h=1`` identity (2SLS); ``h=2``
  the tridiagonal ``(2, -1)`` block for the differenced rows, identity for the level rows, no cross
  terms; ``h=3`` (xtabond2's default) adds the covariances of a differenced and a level iid error,
  ``+1`` between the differenced and the level row of the same period and ``-1`` with the level row of
  the period before. In difference GMM ``h=2`` and ``h=3`` coincide. One-step SE are robust
  (clustered by entity): ``A Z'X W1 (sum_i Z_i'e_i e_i'Z_i) W1 X'Z A`` with ``A = (X'Z W1 Z'X)^-1``.
* Two-step: ``W2 = (sum_i Z_i'e1_i e1_i'Z_i)^-1`` from the one-step residuals; SE with the Windmeijer
  (2005) finite-sample correction (``windmeijer=False``: the uncorrected ``A2``). No small-sample
  factor; z inference (xtabond2 without ``small``).
* Hansen J: ``J = e2'Z W2 Z'e2``, the minimised two-step criterion, df = instruments - coefficients. A
  one-step fit reports the same two-step J (xtabond2's and pydynpd's convention: the J of the model,
  not of the one-step estimate). Sargan (not robust): the one-step criterion ``e1'Z W1 Z'e1 /
  sigma2`` with ``sigma2 = e1d'e1d / (2 n_diff)`` from the differenced residuals.
* AR(m) test (Arellano & Bond 1991): on the differenced residuals of the reported estimate (two-step
  residuals for two-step, one-step residuals for one-step), with the full variance including the
  estimation-effect terms evaluated with that estimate's own ``W`` and covariance (Windmeijer or
  one-step robust). pydynpd's one-step AR reuses the two-step ``sum_i Z_i'e_i`` in the middle term;
  ours is the textbook one-step statistic (the tests state the difference).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import analysis.estimators.distributions as dist

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import cluster_sums, factorize
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame
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

__all__ = ["fit_system_gmm", "H_MATRICES"]

#: xtabond2's first-step weighting matrices (``h()``)
H_MATRICES = {1: "identity (2SLS)", 2: "tridiagonal (2, -1) differenced block, identity level block",
              3: "h(2) plus the covariances of differenced and level errors (xtabond2's default)"}


def _lag(a: np.ndarray, l: int) -> np.ndarray:
    """Shift an (N, T) array by l periods (NaN-filled)."""
    if l == 0:
        return a.copy()
    out = np.full_like(a, np.nan)
    if l < a.shape[1]:
        out[:, l:] = a[:, :-l]
    return out


@dataclass(frozen=True)
class _Regressor:
    name: str
    level: np.ndarray   # (N, T)
    iv_style: bool      # instruments itself (controls, their lags)


def _lag_limits(gmm_vars: dict[str, int], gmm_lags: Mapping[str, tuple], max_lag: int | None,
                y: str) -> dict[str, tuple[int, int | None]]:
    unknown = set(gmm_lags) - set(gmm_vars)
    if unknown:
        raise ValueError(f"gmm_lags names {sorted(unknown)}, which are not GMM-style variables "
                         f"({sorted(gmm_vars)}: y, endog and predetermined)")
    limits = {}
    for v, first in gmm_vars.items():
        a, b = gmm_lags.get(v, (first, max_lag))
        if not isinstance(a, (int, np.integer)) or a < 1 or (b is not None and b < a):
            raise ValueError(f"gmm_lags[{v!r}] = {(a, b)}: need integers 1 <= first <= last (last None: all lags)")
        if v == y and a < 2:
            raise ValueError(f"the lagged dependent variable needs instruments from lag 2 on (gmm_lags[{y!r}] = "
                             f"{(a, b)}): y_t-1 is correlated with the differenced error")
        limits[v] = (int(a), None if b is None else int(b))
    return limits


def _h_matrix(h: int, is_diff: np.ndarray, ent: np.ndarray, period: np.ndarray) -> sp.csr_matrix:
    """The one-step ``H`` over the stacked rows (block-diagonal by entity; see the module docstring)."""
    n = len(is_diff)
    if h == 1:
        return sp.identity(n, format="csr")
    diag = np.where(is_diff, 2.0, 1.0)
    rows, cols, vals = [np.arange(n)], [np.arange(n)], [diag]
    key = {(e, p, d): i for i, (e, p, d) in enumerate(zip(ent, period, is_diff))}
    pairs = []  # (row, row, value) off the diagonal, each once
    for i in np.flatnonzero(is_diff):
        e, p = ent[i], period[i]
        j = key.get((e, p - 1, True))
        if j is not None:
            pairs.append((i, j, -1.0))
        if h == 3:
            for q, v in ((p, 1.0), (p - 1, -1.0)):
                j = key.get((e, q, False))
                if j is not None:
                    pairs.append((i, j, v))
    if pairs:
        a, b, v = (np.array(x) for x in zip(*pairs))
        rows += [a, b]
        cols += [b, a]
        vals += [v, v]
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


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
    regressor_lags: Mapping[str, int] | None = None,
    time_effects: bool = True,
    max_lag: int | None = None,
    gmm_lags: Mapping[str, tuple[int, int | None]] | None = None,
    collapse: bool = False,
    level_equation: bool = True,
    two_step: bool = True,
    windmeijer: bool = True,
    h: int = 3,
    missing: str = DEFAULT_MISSING,
) -> EstimationResult:
    """System GMM (or, with ``level_equation=False``, difference GMM); see the module docstring for the
    instruments and the conventions.

    Parameters
    ----------
    y : dependent variable; ``lags`` lags of it are regressors (GMM-style instruments).
    entity, time : panel keys; periods are the sorted distinct values of ``time`` (gaps = missing).
    controls : strictly exogenous regressors (IV-style instruments).
    endog, predetermined : regressors instrumented GMM-style from lag 2 / lag 1 of themselves.
    regressor_lags : ``{x: k}`` adds ``L1.x ... Lk.x`` as regressors (xtabond2 ``L(0/k).x``); a control's
        lags are IV-style instruments too, an endogenous / predetermined variable's lags are
        instrumented by its own GMM-style set.
    time_effects : add period dummies (IV-style).
    max_lag : deepest lag of every GMM-style set (None: all); ``gmm_lags={v: (first, last)}`` per variable.
    collapse : collapse the GMM-style instrument sets (Roodman 2009).
    level_equation : False gives difference GMM (no levels equation, no constant).
    two_step : two-step efficient GMM (Windmeijer SE) or one-step robust.
    h : first-step weighting matrix, xtabond2's ``h(1)``, ``h(2)`` or ``h(3)`` (default).
    missing : ``"drop"`` (default) drops rows missing ``y``, a regressor or a key (a gap in the panel, as
        xtabond2), with a warning and the count in ``info["n_dropped_na"]``; ``"raise"`` refuses them.

    Returns
    -------
    EstimationResult (model ``"SYS-GMM (two-step)"`` ...) with ``cov`` (Windmeijer-corrected two-step,
    or one-step robust) and ``stats`` AR1_z/AR1_p, AR2_z/AR2_p, Hansen_J/_p (the two-step J),
    Sargan/_p, N_instruments, N_units (the groups); ``info`` has the one-step estimates and the design.
    """
    if lags < 1:
        raise ValueError("lags must be >= 1 (a dynamic panel needs the lagged dependent variable)")
    if h not in H_MATRICES:
        raise ValueError(f"h must be 1, 2 or 3 (xtabond2's h()): {H_MATRICES}; got {h!r}")
    controls, endog, predetermined = list(controls), list(endog), list(predetermined)
    xvars = controls + endog + predetermined
    if len(set(xvars)) < len(xvars) or y in xvars:
        raise ValueError("each regressor may appear once, in exactly one of controls / endog / predetermined")
    regressor_lags = dict(regressor_lags or {})
    bad = {v: k for v, k in regressor_lags.items() if v not in xvars or not isinstance(k, (int, np.integer)) or k < 0}
    if bad:
        raise ValueError(f"regressor_lags {bad}: keys must be regressors ({xvars}) and values integers >= 0")
    data, n_na = check_frame(data, [y, *xvars], [entity, time], missing=missing, who="fit_system_gmm")
    if data.duplicated([entity, time]).any():
        raise ValueError(f"duplicated ({entity}, {time}) rows; one row per entity-period is required")
    gmm_vars = {y: 2, **{v: 2 for v in endog}, **{v: 1 for v in predetermined}}
    limits = _lag_limits(gmm_vars, dict(gmm_lags or {}), max_lag, y)
    ent, N = factorize(data[entity].to_numpy())
    per, T = factorize(data[time].to_numpy())
    t0 = max([lags, *regressor_lags.values(), *(a - 1 for a, _ in limits.values())])
    if T < t0 + 3:
        raise ValueError(f"need at least {t0 + 3} periods for GMM with {lags} lag(s) of {y} and these lag "
                         f"limits, got {T}")

    def grid(col: str) -> np.ndarray:
        a = np.full((N, T), np.nan)
        a[ent, per] = data[col].to_numpy(float)
        return a

    Y = grid(y)
    Xg = {v: grid(v) for v in xvars}
    regs = [_Regressor(f"L{l}.{y}", _lag(Y, l), False) for l in range(1, lags + 1)]
    for v in xvars:
        for j in range(regressor_lags.get(v, 0) + 1):
            regs.append(_Regressor(v if j == 0 else f"L{j}.{v}", _lag(Xg[v], j), v in controls))
    period_labels = np.sort(pd.unique(data[time]))
    tt = np.broadcast_to(np.arange(T), (N, T))
    dummy_periods = list(range(t0 + 1, T)) if time_effects else []
    dums = [(tt == t).astype(float) for t in dummy_periods]
    names = [r.name for r in regs] + [f"period[{period_labels[t]}]" for t in dummy_periods]
    lev_cols = [r.level for r in regs] + dums
    if level_equation:
        names.append("_cons")
        lev_cols.append(np.ones((N, T)))
    dif_cols = [c - _lag(c, 1) for c in lev_cols]
    dY = Y - _lag(Y, 1)
    Xd = np.stack([c.ravel() for c in dif_cols], axis=1)
    Xl = np.stack([c.ravel() for c in lev_cols], axis=1)
    vd = (tt >= t0 + 1).ravel() & np.isfinite(dY.ravel()) & np.isfinite(Xd).all(axis=1)
    vl = ((tt >= t0).ravel() & np.isfinite(Y.ravel()) & np.isfinite(Xl).all(axis=1)) if level_equation \
        else np.zeros(N * T, bool)

    # ---- instruments: (N*T,) columns for the differenced rows (zd) and the level rows (zl)
    zd, zl = [], []

    def add(col_d: np.ndarray | None, col_l: np.ndarray | None) -> None:
        d = np.zeros(N * T) if col_d is None else np.nan_to_num(col_d.ravel())
        lv = np.zeros(N * T) if col_l is None else np.nan_to_num(col_l.ravel())
        if np.any(d[vd] != 0) or np.any(lv[vl] != 0):
            zd.append(d)
            zl.append(lv)

    def gmm_style(v: np.ndarray, a: int, b: int | None) -> None:
        hi = T if b is None else b
        if collapse:
            for l in range(a, hi + 1):
                add(_lag(v, l), None)
        else:
            for t in range(t0 + 1, T):
                for l in range(a, min(hi, t) + 1):
                    col = np.zeros((N, T))
                    col[:, t] = v[:, t - l]
                    add(col, None)
        if not level_equation:
            return
        dv = _lag(v - _lag(v, 1), a - 1)
        if collapse:
            add(None, dv)
        else:
            for t in range(t0, T):
                col = np.zeros((N, T))
                col[:, t] = dv[:, t]
                add(None, col)

    gmm_style(Y, *limits[y])
    for v in endog + predetermined:
        gmm_style(Xg[v], *limits[v])
    for r, cd, cl in zip(regs, dif_cols, lev_cols):
        if r.iv_style:
            add(cd, cl)
    for d in dums:
        add(d - _lag(d, 1), d)
    if level_equation:
        add(None, np.ones((N, T)))
    Zd = np.stack(zd, axis=1)
    Zl = np.stack(zl, axis=1)

    # ---- stack rows: differenced then level
    rows_ent = np.repeat(np.arange(N), T)
    rows_t = np.tile(np.arange(T), N)
    Z = np.vstack([Zd[vd], Zl[vl]])
    X = np.vstack([Xd[vd], Xl[vl]])
    yy = np.concatenate([dY.ravel()[vd], Y.ravel()[vl]])
    g_ent = np.concatenate([rows_ent[vd], rows_ent[vl]])
    is_diff = np.concatenate([np.ones(vd.sum(), bool), np.zeros(vl.sum(), bool)])
    row_t = np.concatenate([rows_t[vd], rows_t[vl]])
    L, K = Z.shape[1], X.shape[1]
    if np.linalg.matrix_rank(X) < K:
        raise ValueError(f"singular design among {names}; drop a collinear regressor or time_effects")
    if L < K:
        raise ValueError(f"under-identified: {L} instruments for {K} coefficients")

    # ---- one-step
    H = _h_matrix(h, is_diff, g_ent, row_t)
    W1 = np.linalg.pinv(Z.T @ (H @ Z))
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
    V1 = A1 @ zx.T @ W1 @ omega1 @ W1 @ zx @ A1   # one-step robust
    n_diff = int(is_diff.sum())
    sigma2 = float(e1[is_diff] @ e1[is_diff]) / (2 * n_diff)
    g1 = Z.T @ e1
    sargan = float(g1 @ W1 @ g1) / sigma2
    df_over = L - K

    # ---- two-step (always: its J is the model's J, also for a one-step fit)
    W2 = np.linalg.pinv(omega1)
    b2, A2 = gmm(W2)
    e2 = yy - X @ b2
    g2 = Z.T @ e2
    hansen = float(g2 @ W2 @ g2)
    if two_step:
        V = A2
        if windmeijer:
            AX = np.zeros((N, L, K))
            np.add.at(AX, g_ent, Z[:, :, None] * X[:, None, :])
            w2ze = W2 @ g2
            left = A2 @ zx.T @ W2
            D = np.empty((K, K))
            for k in range(K):
                d_omega = -(AX[:, :, k].T @ G1 + G1.T @ AX[:, :, k])
                D[:, k] = -left @ d_omega @ w2ze
            V = A2 + D @ A2 + A2 @ D.T + D @ V1 @ D.T
        b, e, W_used, A_used = b2, e2, W2, A2
    else:
        b, V, e, W_used, A_used = b1, V1, e1, W1, A1

    # ---- Arellano-Bond AR(m) tests on the differenced residuals
    di = np.flatnonzero(is_diff)
    ed = np.full((N, T), np.nan)
    ed[g_ent[di], row_t[di]] = e[di]
    Ge = entity_sums(Z * e[:, None])

    def ar_test(m: int) -> tuple[float, float]:
        lagged = _lag(ed, m)[g_ent[di], row_t[di]]
        ok = np.isfinite(lagged)
        if not ok.any():
            return np.nan, np.nan
        w = np.zeros(len(e))
        w[di[ok]] = lagged[ok]
        num = float(w @ e)
        we_i = np.bincount(g_ent, weights=w * e, minlength=N)
        wX = w @ X
        zew = (Ge * we_i[:, None]).sum(axis=0)       # sum_i Z_i'e_i (e_i'w_i)
        var = float(we_i @ we_i) - 2 * float(wX @ A_used @ zx.T @ W_used @ zew) + float(wX @ V @ wX)
        if var <= 0:
            return np.nan, np.nan
        z = num / np.sqrt(var)
        return float(z), float(2 * dist.norm_sf(abs(z)))

    ar1 = ar_test(1)
    ar2 = ar_test(2)
    stats_ = {
        AR1_Z: ar1[0], AR1_P: ar1[1], AR2_Z: ar2[0], AR2_P: ar2[1],
        HANSEN_J: hansen, HANSEN_J_P: float(dist.chi2_sf(hansen, df_over)) if df_over > 0 else np.nan,
        SARGAN: sargan, SARGAN_P: float(dist.chi2_sf(sargan, df_over)) if df_over > 0 else np.nan,
        N_INSTRUMENTS: int(L), N_UNITS: int(N),
    }
    kind = "SYS-GMM" if level_equation else "DIFF-GMM"
    info = {
        "dep_var": y, "entity": entity, "time": time, "cluster": entity, "controls": controls, "n_dropped_na": n_na,
        "vcov": ("Windmeijer (two-step)" if windmeijer else "two-step") if two_step else "one-step robust",
        "one_step": pd.Series(b1, index=names), "one_step_se": pd.Series(np.sqrt(np.diag(V1)), index=names),
        "n_instruments": L, "overid_df": df_over, "collapse": collapse, "max_lag": max_lag,
        "gmm_lags": limits, "regressor_lags": regressor_lags, "level_equation": level_equation,
        "first_level_period": period_labels[t0],
        "two_step": two_step, "windmeijer": windmeijer and two_step, "h": h,
        "n_diff_rows": n_diff, "n_level_rows": int((~is_diff).sum()),
        "design": {"X": X, "Z": Z, "y": yy, "entity": g_ent, "is_diff": is_diff, "period": row_t},
        "warning": (f"{L} instruments for {N} groups: instrument proliferation weakens the Hansen test; "
                    "use collapse=True or max_lag") if L > N else "",
    }
    return EstimationResult(
        params=pd.Series(b, index=names), bse=pd.Series(np.sqrt(np.diag(V)), index=names),
        nobs=int((~is_diff).sum()) if level_equation else n_diff,
        model=kind + (" (two-step)" if two_step else " (one-step)"),
        df_resid=None, stats=stats_, info=info, cov=pd.DataFrame(V, index=names, columns=names),
    )
