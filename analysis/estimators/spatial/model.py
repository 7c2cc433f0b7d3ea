"""Spatial panel econometrics: SAR, SEM, SDM, SDEM and SLX with fixed effects by maximum likelihood.

Model (N units, T periods, stacked time-major: all units of period 1, then period 2, ...)::

    y_t = rho W y_t + X_t beta + W X_t theta + mu + alpha_t 1_N + u_t,   u_t = lambda W u_t + e_t,
    e_t ~ iid N(0, sigma2 I_N)

``sar``: theta = 0, lambda = 0;  ``sdm``: lambda = 0;  ``sem``: rho = 0, theta = 0;
``sdem``: rho = 0;  ``slx``: rho = lambda = 0 (OLS).  ``effects`` chooses mu (``individual``),
alpha_t (``time``), both (``twoways``) or neither (``none``, with an intercept); ``random`` treats
mu as random effects (lag models; Elhorst 2003, quasi-demeaning with Baltagi's phi, see
``_fit_random``), which with the fixed-effects fit gives the spatial Hausman test.

Estimation (Elhorst 2014, *Spatial Econometrics*, ch. 3; Lee and Yu 2010, *J. Econometrics* 154):

* the fixed effects are removed by demeaning y, X, Wy and WX (the spatial lags are formed on the raw
  data first; for a row-standardised W, demean(Wy) = W demean(y) up to the time means);
* the likelihood is concentrated in rho (lambda): for the lag models
  ``l(rho) = -n*/2 ln(e(rho)'e(rho)/n*) + T* ld(rho)`` with ``e(rho) = e0 - rho e1`` (the residuals
  of demeaned y and Wy on demeaned [X, WX]); for the error models the residual sum of squares of
  (y - lambda Wy) on (Z - lambda WZ); maximised by bounded Brent on the Ord interval;
* ``lee_yu=True`` (default) uses the Lee-Yu (2010) *transformation approach*: the orthonormal
  transformation F_{T,T-1} (individual effects) and F_{N,N-1} (time effects, W row-standardised)
  leave n* = N(T-1), (N-1)T or (N-1)(T-1) independent observations and replace ln|I - rho W| by
  ln|I - rho W| - ln(1 - rho) when time effects are removed. Individual effects alone: rho and
  beta are unchanged and sigma2 = e'e / (N(T-1)) instead of e'e/(NT). Two-way effects: rho, beta
  and sigma2 all change (this removes the O(1/T) + O(1/N) bias of the direct approach; same
  estimator as SDPDmod ``LYtrans=TRUE``). ``lee_yu=False`` is the *direct approach* of Elhorst's
  code without bias correction, splm ``spml(model="within")`` and spreg ``ML_LagFE``/``ML_ErrorFE``:
  n* = NT, T* = T;
* standard errors from the inverse of the analytic information matrix (Lee 2004; Elhorst 2014 eq.
  3.19; Lee-Yu 2010 eq. 13 for the transformed model) in (beta, theta, rho|lambda, sigma2), with
  the traces of G = W (I - rho W)^-1 taken on the transformed W (tr G* = tr G - 1/(1 - rho) etc.);
  inference is asymptotic normal (``df_resid=None``). No small-sample or cluster correction.
* ld(rho) is computed by the backend ``logdet`` (``spatial.logdet``): exact eigenvalues,
  sparse LU, Chebyshev or Monte Carlo.

``SpatialPanelResult.impacts`` gives LeSage and Pace (2009, ch. 2.7) direct, indirect and total
effects with simulated standard errors (multivariate-normal draws of the estimates).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.inputs import DEFAULT_MISSING
from analysis.estimators.statistics import LOGLIK, PHI, R2_CORR, SIGMA2
from analysis.estimators.spatial.logdet import GreenOperator, LogDet
from analysis.estimators.spatial.panel import (
    DURBIN_MODELS,
    EFFECTS,
    ERROR_MODELS,
    LAG_MODELS,
    MODELS,
    PanelData,
    demean_panel,
    prepare_panel,
    spatial_lag,
)

__all__ = ["SpatialPanelResult", "SpatialBoundaryWarning", "fit_spatial_panel", "profile_interval"]


def _sample_sizes(n: int, t: int, effects: str, lee_yu: bool) -> tuple[int, int, bool]:
    """(n*, T*, time_transform): effective observations, periods multiplying ld(rho), and whether
    ld(rho) loses ln(1 - rho) (Lee-Yu transformation in the cross-section)."""
    if not lee_yu or effects == "none":
        return n * t, t, False
    if effects == "individual":
        return n * (t - 1), t - 1, False
    if effects == "time":
        return (n - 1) * t, t, True
    return (n - 1) * (t - 1), t - 1, True


# ---------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)  # keep the base class's summary() repr
class SpatialPanelResult(EstimationResult):
    """Result of :func:`fit_spatial_panel`: ``params`` (beta, ``W*x`` for Durbin models, ``rho`` or
    ``lambda``), ``bse``, ``loglik``, ``sigma2`` (with ``sigma2_se``), ``cov`` (covariance of params
    and sigma2), ``impacts()`` and ``info`` (model, effects, lee_yu, logdet, n*, T*, W, ...)."""

    loglik: float = np.nan
    sigma2: float = np.nan
    sigma2_se: float = np.nan
    spec: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def spatial_param(self) -> str | None:
        return {"sar": "rho", "sdm": "rho", "sem": "lambda", "sdem": "lambda"}.get(self.spec.get("model"))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals; for a spatial parameter at the edge of its interval (``info["boundary"]``) the
        profile-likelihood interval of :func:`profile_interval` (computed at 95%; other levels refused)."""
        ci = super().conf_int(alpha)
        for name, (low, high) in (self.info.get("profile_ci") or {}).items():
            if not np.isclose(alpha, 0.05):
                raise ValueError(f"{name} lies at the edge of its interval: only its 95% profile-likelihood "
                                 "interval is computed")
            ci.loc[name] = [low, high]
        return ci

    def impacts(self, n_draws: int = 1000, seed: int | None = None, *, method: str = "auto",
                trace_order: int = 100, progress: bool = False) -> "ImpactsResult":
        """LeSage-Pace direct, indirect and total effects with simulated standard errors.

        See :func:`analysis.estimators.spatial.impacts.impacts`.
        """
        from analysis.estimators.spatial.impacts import impacts

        return impacts(self, n_draws=n_draws, seed=seed, method=method, trace_order=trace_order, progress=progress)


# ---------------------------------------------------------------- estimation
def fit_spatial_panel(
    data: pd.DataFrame,
    *,
    y: str,
    x: Sequence[str],
    w: Any,
    entity: str,
    time: str,
    model: str = "sdm",
    effects: str = "individual",
    lee_yu: bool = True,
    logdet: str = "auto",
    w_ids: Sequence | None = None,
    durbin: Sequence[str] | None = None,
    tol: float = 1e-10,
    missing: str = DEFAULT_MISSING,
) -> SpatialPanelResult:
    """Fit a fixed-effects spatial panel model by (quasi-)maximum likelihood.

    Parameters
    ----------
    data : long panel, one row per (entity, time), balanced after the missing-values policy.
    y, x : dependent variable and explanatory variables.
    w : libpysal ``W``, a DataFrame indexed by entity, or a scipy/numpy matrix with ``w_ids``. Its ids
        must be exactly the panel's entities (checked, never assumed); rows are used as given (call
        :func:`row_standardise` first if you want a row-standardised W).
    model : ``sdm`` | ``sar`` | ``sem`` | ``sdem`` | ``slx`` (| ``ols``, no spatial terms).
    effects : ``individual`` | ``time`` | ``twoways`` | ``none`` | ``random`` (random individual
        effects, lag models only: Elhorst 2003 / spreg ``ML_LagRE``; see :func:`_fit_random`).
    lee_yu : Lee-Yu (2010) transformation approach (see module docstring); ``False`` gives the direct
        approach (splm / spreg / Elhorst without bias correction).
    logdet : ``auto`` | ``eigen`` | ``sparse_lu`` | ``chebyshev`` | ``mc`` (see ``spatial.logdet``).
    durbin : for Durbin models, the subset of ``x`` whose spatial lags enter (default: all).
    missing : ``"drop"`` (default) drops rows missing ``y``, an ``x`` or a key (warning, count in
        ``info["n_dropped_na"]``); the panel must stay balanced, so a period missing for every entity (a
        series ending early) leaves whole and a scattered gap is refused; ``"raise"`` refuses missing values.

    Returns
    -------
    SpatialPanelResult with ``params`` named like ``x`` plus ``W*<x>`` and ``rho``/``lambda``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if effects not in EFFECTS:
        raise ValueError(f"effects must be one of {EFFECTS}, got {effects!r}")
    panel = data if isinstance(data, PanelData) else prepare_panel(
        data, y=y, x=x, w=w, entity=entity, time=time, w_ids=w_ids, missing=missing)
    if effects == "random":
        res = _fit_random(panel, model=model, logdet=logdet, durbin=durbin, tol=tol)
    else:
        res = _fit_panel(panel, model=model, effects=effects, lee_yu=lee_yu, logdet=logdet, durbin=durbin, tol=tol)
    absorbed = {"individual": [entity], "time": [time], "twoways": [entity, time]}.get(effects, [])
    object.__setattr__(res, "info", {**res.info, "dep_var": panel.y_name, "entity": entity, "time": time,
                                     "fe": absorbed, "cluster": None, "vcov": "ML information",
                                     "n_dropped_na": panel.n_dropped_na})
    return res


def _design(panel: PanelData, model: str, effects: str, durbin: Sequence[str] | None):
    """Demeaned y, Wy, Z and WZ as (T*N,) / (T*N, p) arrays plus the column names of Z."""
    W = panel.w.matrix
    Y, X = panel.y, panel.X
    names = list(panel.x_names)
    if model in DURBIN_MODELS:
        lag_names = list(panel.x_names) if durbin is None else list(durbin)
        unknown = [v for v in lag_names if v not in panel.x_names]
        if unknown:
            raise ValueError(f"durbin variables {unknown} are not in x")
        idx = [panel.x_names.index(v) for v in lag_names]
        X = np.concatenate([X, spatial_lag(W, X[:, :, idx])], axis=2)
        names += [f"W*{v}" for v in lag_names]
    if effects == "none":
        X = np.concatenate([np.ones(X.shape[:2] + (1,)), X], axis=2)
        names = ["const", *names]
    WY, WX = spatial_lag(W, Y), spatial_lag(W, X)
    T, N = Y.shape
    p = X.shape[2]
    dm = lambda A: demean_panel(A, effects)  # noqa: E731
    return (dm(Y).reshape(-1), dm(WY).reshape(-1), dm(X).reshape(T * N, p), dm(WX).reshape(T * N, p), names)


def _check_rank(Z: np.ndarray, names: list[str]) -> None:
    if Z.shape[1] == 0:
        return
    rank = np.linalg.matrix_rank(Z)
    if rank < Z.shape[1]:
        # name the columns that are (near) constant or collinear after demeaning
        const = [n for n, col in zip(names, Z.T) if np.allclose(col, 0.0)]
        hint = f"; constant within the fixed effects: {const}" if const else ""
        raise ValueError(
            f"singular design: the {Z.shape[1]} regressors {names} have rank {rank} after removing the "
            f"fixed effects{hint}. Drop collinear variables or use fewer fixed effects"
        )


def _fit_panel(panel: PanelData, *, model: str, effects: str, lee_yu: bool, logdet: str,
               durbin: Sequence[str] | None, tol: float) -> SpatialPanelResult:
    N, T = panel.n, panel.t
    W = panel.w.matrix
    if lee_yu and effects in ("time", "twoways") and not panel.w.row_standardised:
        raise ValueError("the Lee-Yu transformation for time effects needs a row-standardised W: "
                         "pass row_standardise(W) or set lee_yu=False")
    if effects in ("time", "twoways") and model in ERROR_MODELS and not panel.w.row_standardised:
        raise ValueError("error models with time effects need a row-standardised W (pass row_standardise(W))")
    if effects in ("individual", "twoways") and T < 2:
        raise ValueError("individual effects need at least two periods")
    y, wy, Z, WZ, names = _design(panel, model, effects, durbin)
    _check_rank(Z, names)
    n_eff, t_eff, time_tf = _sample_sizes(N, T, effects, lee_yu)
    spatial = model in LAG_MODELS or model in ERROR_MODELS
    ld = LogDet(W, logdet) if spatial else None
    boundary = None   # (lower, upper) profile-likelihood interval when the maximum lies at an edge

    def ldet(r: float) -> float:
        out = ld(r)
        return out - np.log1p(-r) if time_tf else out

    ZtZ = Z.T @ Z
    if model in LAG_MODELS:
        b0 = np.linalg.solve(ZtZ, Z.T @ y)
        b1 = np.linalg.solve(ZtZ, Z.T @ wy)
        e0, e1 = y - Z @ b0, wy - Z @ b1
        a00, a01, a11 = e0 @ e0, e0 @ e1, e1 @ e1

        def negll(r: float) -> float:
            return 0.5 * n_eff * np.log((a00 - 2 * r * a01 + r * r * a11) / n_eff) - t_eff * ldet(r)
    elif model in ERROR_MODELS:
        A = np.column_stack([y, Z])
        B = np.column_stack([wy, WZ])
        AA, AB, BB = A.T @ A, A.T @ B, B.T @ B

        def rss_error(r: float) -> tuple[float, np.ndarray]:
            M = AA - r * (AB + AB.T) + r * r * BB
            beta = np.linalg.solve(M[1:, 1:], M[1:, 0])
            return float(M[0, 0] - M[0, 1:] @ beta), beta

        def negll(r: float) -> float:
            return 0.5 * n_eff * np.log(rss_error(r)[0] / n_eff) - t_eff * ldet(r)

    if spatial:
        lo, hi = ld.bounds()
        span = hi - lo
        from scipy.optimize import minimize_scalar

        opt = minimize_scalar(negll, bounds=(lo + 1e-6 * span, hi - 1e-6 * span), method="bounded",
                              options={"xatol": tol, "maxiter": 500})
        r = float(opt.x)
        if min(r - lo, hi - r) < 1e-4 * span:
            boundary = profile_interval(negll, r, lo + 1e-6 * span, hi - 1e-6 * span)
    else:
        r = 0.0

    if model in LAG_MODELS:
        beta = b0 - r * b1
        resid = e0 - r * e1
    elif model in ERROR_MODELS:
        _, beta = rss_error(r)
        resid = (y - r * wy) - (Z - r * WZ) @ beta
    else:
        beta = np.linalg.solve(ZtZ, Z.T @ y)
        resid = y - Z @ beta
    sigma2 = float(resid @ resid) / n_eff
    loglik = -0.5 * n_eff * (np.log(2 * np.pi * sigma2) + 1.0) + (t_eff * ldet(r) if spatial else 0.0)

    info_matrix = _information(model=model, r=r, beta=beta, Z=Z, WZ=WZ, W=W, sigma2=sigma2, n_eff=n_eff,
                               t_eff=t_eff, time_tf=time_tf, effects=effects, T=T, N=N)
    pnames = list(names) + ([("rho" if model in LAG_MODELS else "lambda")] if spatial else [])
    try:
        if boundary is None:
            cov_full = np.linalg.inv(info_matrix)
        else:   # the other parameters' covariance given the spatial parameter at the edge (its own: 0)
            keep = [i for i in range(info_matrix.shape[0]) if i != len(pnames) - 1]
            cov_full = np.zeros_like(info_matrix)
            cov_full[np.ix_(keep, keep)] = np.linalg.inv(info_matrix[np.ix_(keep, keep)])
    except np.linalg.LinAlgError as exc:  # pragma: no cover - guarded by the rank check
        raise ValueError("the information matrix is singular; the model is not identified") from exc
    all_names = pnames + ["sigma2"]
    cov = pd.DataFrame(cov_full, index=all_names, columns=all_names)
    params = pd.Series(np.r_[beta, [r] if spatial else []], index=pnames)
    bse = pd.Series(np.sqrt(np.diag(cov_full))[: len(pnames)], index=pnames)
    if boundary is not None:
        bse.iloc[-1] = np.nan
        warnings.warn(SpatialBoundaryWarning(
            f"{model.upper()} ({effects} effects): the likelihood's maximum lies at the edge of "
            f"{pnames[-1]}'s interval ({lo:.4f}, {hi:.4f}); returning the boundary estimate {r:.6f} with the "
            f"profile-likelihood 95% interval [{boundary[0]:.4f}, {boundary[1]:.4f}] and no standard error; "
            f"the other standard errors and the impacts' draws hold {pnames[-1]} fixed. This usually means a "
            f"missing effect (e.g. a common year path with individual effects only) or a W that does not fit"),
            stacklevel=3)
    fitted = y - resid  # includes rho * Wy for the lag models
    r2 = float(np.corrcoef(y, fitted)[0, 1] ** 2) if np.var(fitted) > 0 else np.nan
    stats = {LOGLIK: loglik, SIGMA2: sigma2, R2_CORR: r2}
    info = {
        "model": model,
        "effects": effects,
        "lee_yu": lee_yu,
        "logdet": ld.method if ld is not None else None,
        "n_eff": n_eff,
        "t_eff": t_eff,
        "N": N,
        "T": T,
        "entities": panel.entities,
        "times": panel.times,
        "W_row_standardised": panel.w.row_standardised,
        "n_params": len(pnames) + 1,
        "fe_count": {"none": 0, "individual": N, "time": T, "twoways": N + T - 1}[effects],
        "resid": resid,
        "inference": "normal (asymptotic ML), analytic information matrix",
        "boundary": boundary is not None,
        "profile_ci": {pnames[-1]: boundary} if boundary is not None else {},
    }
    spec = {"model": model, "effects": effects, "lee_yu": lee_yu, "x": panel.x_names,
            "y": panel.y_name, "durbin": tuple(n[2:] for n in names if n.startswith("W*")),
            "W": W, "logdet": ld, "green": None}
    return SpatialPanelResult(
        params=params, bse=bse, nobs=N * T, model=f"{model.upper()} ({effects} FE{', Lee-Yu' if lee_yu and effects != 'none' else ''})",
        df_resid=None, stats=stats, info=info, loglik=float(loglik), sigma2=sigma2,
        sigma2_se=float(np.sqrt(cov_full[-1, -1])), cov=cov, spec=spec,
    )


class SpatialBoundaryWarning(UserWarning):
    """The likelihood's maximum lies at the edge of the spatial parameter's interval."""


def profile_interval(negll, r_hat: float, lo: float, hi: float, level: float = 0.95) -> tuple[float, float]:
    """Profile-likelihood interval {r: 2 (l(r_hat) - l(r)) <= chi2_1(level)} of the spatial parameter, with
    ``negll`` the negative concentrated log-likelihood on [lo, hi] (the other parameters profiled out).

    Used when the maximum lies at an edge of the interval, where the Wald interval from the information
    matrix is meaningless (Self and Liang 1987: the boundary changes the estimator's distribution). The
    interval then reaches the edge on that side; on the other side it ends where the likelihood ratio
    statistic crosses the chi-squared critical value (3.84 at 95%), found by Brent's method. A side
    that never crosses keeps the end of the interval.
    """
    from scipy.optimize import brentq
    from scipy.stats import chi2

    target = negll(r_hat) + chi2.ppf(level, 1) / 2

    def crossing(a: float, b: float) -> float:
        f = lambda x: negll(x) - target  # noqa: E731
        return brentq(f, min(a, b), max(a, b), xtol=1e-10) if f(a) * f(b) < 0 else a

    lower = lo if r_hat - lo < hi - r_hat else crossing(lo, r_hat)
    upper = hi if hi - r_hat <= r_hat - lo else crossing(hi, r_hat)
    return float(lower), float(upper)


def _numerical_hessian(f, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a scalar function (steps scaled to |x|)."""
    k = len(x)
    h = 1e-4 * np.maximum(np.abs(x), 1e-2)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H


def _fit_random(panel: PanelData, *, model: str, logdet: str, durbin, tol: float) -> SpatialPanelResult:
    """Random-effects spatial lag panel (SAR/SDM) by ML (Elhorst 2003; Elhorst 2014 sec. 3.3).

    y_it = rho (W y_t)_i + z_it b + mu_i + e_it, mu_i ~ iid(0, s_mu^2). With phi^2 = s2/(T s_mu^2 + s2)
    the quasi-demeaned data a* = a - (1 - phi) mean_t(a) (Baltagi) give
    ``l = -NT/2 ln(2 pi s2) + N/2 ln phi^2 + T ln|I - rho W| - e*'e*/(2 s2)``, maximised over rho and
    phi (nested bounded Brent; beta and s2 concentrated out), with an intercept. Same estimator as
    spreg ``ML_LagRE`` (which iterates between phi and rho). Standard errors from the analytic
    expected information in (beta, rho, phi, s2) derived in the code (the beta/rho/s2 blocks are
    those of the FE model on the quasi-demeaned data); spreg's ML_LagRE uses a different (and
    non-symmetric) phi block, so its SEs of rho differ slightly; ``_numerical_hessian`` gives the
    observed information for comparison.
    """
    if model not in LAG_MODELS:
        raise ValueError("random effects are implemented for the lag models (sar, sdm) only")
    from scipy.optimize import minimize_scalar   # here, not at import: the package stays quick to import
    N, T = panel.n, panel.t
    W = panel.w.matrix
    Y, X = panel.y, panel.X
    names = list(panel.x_names)
    if model == "sdm":
        lag_names = list(panel.x_names) if durbin is None else list(durbin)
        idx = [panel.x_names.index(v) for v in lag_names]
        X = np.concatenate([X, spatial_lag(W, X[:, :, idx])], axis=2)
        names += [f"W*{v}" for v in lag_names]
    X = np.concatenate([np.ones((T, N, 1)), X], axis=2)
    names = ["const", *names]
    WY = spatial_lag(W, Y)
    p = X.shape[2]
    nt = N * T
    _check_rank(X.reshape(nt, p), names)
    ld = LogDet(W, logdet)
    lo, hi = ld.bounds()
    span = hi - lo

    def quasi(A: np.ndarray, phi: float) -> np.ndarray:
        return (A - (1.0 - phi) * A.mean(axis=0, keepdims=True)).reshape(nt, -1)

    def profile(phi: float) -> tuple[float, float, np.ndarray, float]:
        ys, wys, Zs = quasi(Y[..., None], phi)[:, 0], quasi(WY[..., None], phi)[:, 0], quasi(X, phi)
        ZtZ = Zs.T @ Zs
        b0, b1 = np.linalg.solve(ZtZ, Zs.T @ ys), np.linalg.solve(ZtZ, Zs.T @ wys)
        e0, e1 = ys - Zs @ b0, wys - Zs @ b1
        a00, a01, a11 = e0 @ e0, e0 @ e1, e1 @ e1

        def negll_rho(r: float) -> float:
            return 0.5 * nt * np.log((a00 - 2 * r * a01 + r * r * a11) / nt) - T * ld(r)

        opt = minimize_scalar(negll_rho, bounds=(lo + 1e-6 * span, hi - 1e-6 * span), method="bounded",
                              options={"xatol": tol, "maxiter": 500})
        r = float(opt.x)
        s2 = (a00 - 2 * r * a01 + r * r * a11) / nt
        return r, -opt.fun + N * np.log(phi), b0 - r * b1, s2  # N/2 ln phi^2 = N ln phi

    opt_phi = minimize_scalar(lambda ph: -profile(ph)[1], bounds=(1e-8, 1.0 - 1e-8), method="bounded",
                              options={"xatol": 1e-10, "maxiter": 500})
    phi = float(opt_phi.x)
    r, _, beta, sigma2 = profile(phi)

    def full_ll(theta: np.ndarray) -> float:
        b, rr, ph, s2 = theta[:p], theta[p], theta[p + 1], theta[p + 2]
        e = quasi(Y[..., None], ph)[:, 0] - rr * quasi(WY[..., None], ph)[:, 0] - quasi(X, ph) @ b
        return -0.5 * nt * np.log(2 * np.pi * s2) + N * np.log(abs(ph)) + T * ld(rr) - e @ e / (2 * s2)

    theta = np.r_[beta, r, phi, sigma2]
    loglik = full_ll(theta)
    # expected information in (beta, rho, phi, s2); with u = S y - X b and Jbar the time-averaging
    # operator, Q u is white, E[u'Jbar u] = N s2/phi^2, E[(Wy)'Jbar u] = s2/phi^2 tr(G), hence
    # I_phiphi = 2N/phi^2, I_phirho = -2 tr(G)/phi, I_phis2 = -N/(phi s2), I_phibeta = 0.
    green = GreenOperator(W)
    tr = green.traces(r)
    Zs = quasi(X, phi)
    gzb = green.apply(r, (Zs @ beta).reshape(T, N).T).T.reshape(-1)
    info_m = np.zeros((p + 3, p + 3))
    info_m[:p, :p] = Zs.T @ Zs / sigma2
    info_m[:p, p] = info_m[p, :p] = Zs.T @ gzb / sigma2
    info_m[p, p] = gzb @ gzb / sigma2 + T * (tr["trGG"] + tr["trGtG"])
    info_m[p, p + 1] = info_m[p + 1, p] = -2.0 * tr["trG"] / phi
    info_m[p, p + 2] = info_m[p + 2, p] = T * tr["trG"] / sigma2
    info_m[p + 1, p + 1] = 2.0 * N / phi**2
    info_m[p + 1, p + 2] = info_m[p + 2, p + 1] = -N / (phi * sigma2)
    info_m[p + 2, p + 2] = nt / (2 * sigma2**2)
    cov_full = np.linalg.inv(info_m)
    pnames = names + ["rho"]
    all_names = pnames + ["phi", "sigma2"]
    cov = pd.DataFrame(cov_full, index=all_names, columns=all_names)
    se = np.sqrt(np.diag(cov_full))
    params = pd.Series(np.r_[beta, r], index=pnames)
    info = {"model": model, "effects": "random", "lee_yu": False, "logdet": ld.method, "n_eff": nt, "t_eff": T,
            "N": N, "T": T, "entities": panel.entities, "times": panel.times,
            "W_row_standardised": panel.w.row_standardised, "n_params": len(pnames) + 2, "fe_count": 0,
            "phi": phi, "phi_se": float(se[-2]),
            "inference": "normal (asymptotic ML), analytic expected information"}
    spec = {"model": model, "effects": "random", "lee_yu": False, "x": panel.x_names, "y": panel.y_name,
            "durbin": tuple(n[2:] for n in names if n.startswith("W*")), "W": W, "logdet": ld, "green": None}
    return SpatialPanelResult(
        params=params, bse=pd.Series(se[: len(pnames)], index=pnames), nobs=nt,
        model=f"{model.upper()} (random effects)", df_resid=None,
        stats={LOGLIK: loglik, SIGMA2: sigma2, PHI: phi}, info=info, loglik=float(loglik),
        sigma2=sigma2, sigma2_se=float(se[-1]), cov=cov, spec=spec,
    )


def _transformed_traces(tr: dict, r: float, time_tf: bool, N: int) -> tuple[float, float, float]:
    """tr G*, tr G*G*, tr G*'G* of the Lee-Yu transformed W* = F'WF (W row-standardised):
    tr G - 1/(1-r), tr G^2 - 1/(1-r)^2, tr G'G - |G'1|^2/N; the plain traces otherwise."""
    if not time_tf:
        return tr["trG"], tr["trGG"], tr["trGtG"]
    c = 1.0 / (1.0 - r)
    return tr["trG"] - c, tr["trGG"] - c * c, tr["trGtG"] - float(tr["Gt1"] @ tr["Gt1"]) / N


def _information(*, model, r, beta, Z, WZ, W, sigma2, n_eff, t_eff, time_tf, effects, T, N) -> np.ndarray:
    """Analytic information matrix in (beta, rho|lambda, sigma2) (Elhorst 2014 eq. 3.19 / Lee-Yu 2010)."""
    p = Z.shape[1]
    if model not in LAG_MODELS and model not in ERROR_MODELS:
        info = np.zeros((p + 1, p + 1))
        info[:p, :p] = Z.T @ Z / sigma2
        info[p, p] = n_eff / (2 * sigma2**2)
        return info
    green = GreenOperator(W)
    tr = green.traces(r)
    trG, trGG, trGtG = _transformed_traces(tr, r, time_tf, N)
    info = np.zeros((p + 2, p + 2))
    if model in LAG_MODELS:
        xb = (Z @ beta).reshape(T, N)
        gxb = green.apply(r, xb.T).T  # (T, N): G applied to every period
        gxb = demean_panel(gxb, effects).reshape(-1)
        info[:p, :p] = Z.T @ Z / sigma2
        info[:p, p] = info[p, :p] = Z.T @ gxb / sigma2
        info[p, p] = gxb @ gxb / sigma2 + t_eff * (trGG + trGtG)
    else:
        Zs = Z - r * WZ
        info[:p, :p] = Zs.T @ Zs / sigma2
        info[p, p] = t_eff * (trGG + trGtG)
    info[p, p + 1] = info[p + 1, p] = t_eff * trG / sigma2
    info[p + 1, p + 1] = n_eff / (2 * sigma2**2)
    return info
