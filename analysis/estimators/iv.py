"""Two-stage least squares with absorbed fixed effects and weak-instrument diagnostics.

Equation::

    y_it   = x_it' beta + w_it' gamma + alpha_i + lambda_t + u_it      (structural)
    x_it   = z_it' Pi   + w_it' delta + a_i + l_t + v_it               (first stage)

``x`` are the endogenous regressors (K1), ``z`` the excluded instruments (L >= K1), ``w`` the
included exogenous regressors. Formula: ``"y ~ w1 + w2 | city + year | x ~ z1 + z2"`` (the FE
part may be omitted: ``"y ~ w | x ~ z"``). Fixed effects are removed by within-demeaning of every
variable (Frisch-Waugh), then 2SLS: ``b = (X'P_Z X)^-1 X'P_Z y``.

References: Wooldridge (2010) ch. 5 and 15; Baum, Schaffer & Stillman (2007) ``ivreg2``;
Cragg & Donald (1993); Kleibergen & Paap (2006) "Generalized reduced rank tests using the
singular value decomposition", J. Econometrics 133; Stock & Yogo (2005) Tables 5.1/5.2;
Hansen (1982) J.

Conventions that change the numbers:

* SE: the fixed-effects engine's conventions (``analysis.estimators.fixed_effects``: iid
  ``s^2 = u'u/(N-K)``; HC1 ``N/(N-K)``; CR1 ``G/(G-1) (N-1)/(N-K)`` with FE nested in the clusters
  not counted, t with G-1 df), computed
  with the projected regressors ``X_hat`` (the ivreg2 ``small`` / linearmodels ``debiased``
  convention). ``K`` counts all second-stage coefficients.
* Cragg-Donald F (iid): ``(N - K_z - FE df)/L * mineig(S_vv^-1/2' X'P_Z X S_vv^-1/2)`` on the
  partialled-out data, with ``S_vv = X'M_Z X`` (ivreg2 ``cdf``).
* Kleibergen-Paap rk statistics: the rank test of ``Pi`` (H0: rank K1-1) of Kleibergen-Paap
  (2006) with robust / cluster-robust covariance of ``vec(Pi_hat)`` (no small-sample factor),
  as Stata ``ranktest``. ``rk Wald`` uses first-stage residuals; ``rk LM`` uses the
  covariance under ``Pi = 0`` (for K1 = 1 this is the robust score test of the instruments;
  for K1 > 1 it is the same construction, which may differ from ``ranktest``'s LM).
  ``rk Wald F = rk Wald / L * (N-K_z)/(N-1) * (G-1)/G`` with clustering and
  ``rk Wald / L * (N-K_z)/N`` with HC1, i.e. the Wald statistic rescaled by the inverse of the
  small-sample factor above, so that with one endogenous regressor it equals the first-stage
  robust F of the excluded instruments under our pinned convention (ivreg2's ``widstat``
  up to its own count of ``K_z``). With ``vcov="iid"`` the KP statistics equal Cragg-Donald.
* Hansen J (over-identified): ``J = u'Z S^-1 Z'u`` with ``S`` the robust / cluster meat of
  ``Z u`` (no small-sample factor); with ``vcov="iid"`` Sargan's ``N u'P_Z u / u'u``.
* Stock-Yogo: 10/15/20/25% maximal 2SLS size critical values (K1 = 1, 2; L <= 10) and
  5/10/20/30% relative bias (K1 = 1, 2; L <= 10). Strictly valid for iid errors only; with
  clustered errors they are the customary yardstick for the KP F (as in study 004's 16.38).
"""
from __future__ import annotations


import numpy as np
import pandas as pd
from scipy import linalg

import analysis.estimators.distributions as dist

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import (
    Conley,
    Demeaner,
    VcovSpec,
    cluster_columns,
    column_scale,
    dof_k,
    factorize,
    meat,
    ols,
    resolve_vcov,
    sandwich,
    small_sample,
)
from analysis.estimators.formula import parse_formula
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame, vcov_request
from analysis.estimators.statistics import (
    CRAGG_DONALD_F,
    EFFECTIVE_F,
    HANSEN_J,
    HANSEN_J_P,
    KP_RK_LM,
    KP_RK_LM_P,
    KP_RK_WALD,
    KP_RK_WALD_F,
    N_CLUSTERS,
    PARTIAL_R2,
    R2,
    R2_WITHIN,
    SARGAN,
    SARGAN_P,
    first_stage_f,
    stock_yogo_key,
)

__all__ = ["fit_iv", "stock_yogo", "kleibergen_paap", "cragg_donald"]

# Stock & Yogo (2005) Table 5.2: critical values of the Cragg-Donald F for 2SLS maximal size
# of a nominal 5% Wald test, keyed by (K1, L) -> (10%, 15%, 20%, 25%).
_SY_SIZE = {
    (1, 1): (16.38, 8.96, 6.66, 5.53), (1, 2): (19.93, 11.59, 8.75, 7.25),
    (1, 3): (22.30, 12.83, 9.54, 7.80), (1, 4): (24.58, 13.96, 10.26, 8.31),
    (1, 5): (26.87, 15.09, 10.98, 8.84), (1, 6): (29.18, 16.23, 11.72, 9.38),
    (1, 7): (31.50, 17.38, 12.48, 9.93), (1, 8): (33.84, 18.54, 13.24, 10.50),
    (1, 9): (36.19, 19.71, 14.01, 11.07), (1, 10): (38.54, 20.88, 14.78, 11.65),
    (2, 2): (7.03, 4.58, 3.95, 3.63), (2, 3): (13.43, 8.18, 6.40, 5.45),
    (2, 4): (16.87, 9.93, 7.54, 6.28), (2, 5): (19.45, 11.22, 8.38, 6.89),
    (2, 6): (21.68, 12.33, 9.10, 7.42), (2, 7): (23.72, 13.34, 9.77, 7.91),
    (2, 8): (25.64, 14.31, 10.41, 8.39), (2, 9): (27.51, 15.24, 11.03, 8.85),
    (2, 10): (29.32, 16.16, 11.65, 9.31),
}
# Table 5.1: 2SLS relative bias (5%, 10%, 20%, 30%).
_SY_BIAS = {
    (1, 3): (13.91, 9.08, 6.46, 5.39), (1, 4): (16.85, 10.27, 6.71, 5.34),
    (1, 5): (18.37, 10.83, 6.77, 5.25), (1, 6): (19.28, 11.12, 6.76, 5.15),
    (1, 7): (19.86, 11.29, 6.73, 5.07), (1, 8): (20.25, 11.39, 6.69, 4.99),
    (1, 9): (20.53, 11.46, 6.65, 4.92), (1, 10): (20.74, 11.49, 6.61, 4.86),
    (2, 4): (11.04, 7.56, 5.57, 4.73), (2, 5): (13.97, 8.78, 5.91, 4.79),
    (2, 6): (15.72, 9.48, 6.08, 4.78), (2, 7): (16.88, 9.92, 6.16, 4.76),
    (2, 8): (17.70, 10.22, 6.20, 4.73), (2, 9): (18.30, 10.43, 6.22, 4.69),
    (2, 10): (18.76, 10.58, 6.23, 4.66),
}


def _stock_yogo_values(n_endog: int, n_instruments: int) -> list[tuple[str, int, float]]:
    """(kind, percent, critical value) tabulated for (K1, L): kind "size" or "bias"."""
    out = []
    for kind, table, percents in (("size", _SY_SIZE, (10, 15, 20, 25)), ("bias", _SY_BIAS, (5, 10, 20, 30))):
        values = table.get((n_endog, n_instruments))
        if values:
            out += [(kind, p, v) for p, v in zip(percents, values)]
    return out


def stock_yogo(n_endog: int, n_instruments: int) -> dict[str, float]:
    """Stock-Yogo critical values available for (K1, L) (``size_10%`` ...); empty dict if not tabulated here.

    ``fit_iv`` reports them as the statistics ``statistics.stock_yogo_key(kind, percent)``
    (``SY_size_10%`` ...)."""
    return {f"{kind}_{p}%": v for kind, p, v in _stock_yogo_values(n_endog, n_instruments)}


def _msqrt_inv(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(a)
    return v @ np.diag(1 / np.sqrt(w)) @ v.T


def cragg_donald(X: np.ndarray, Z: np.ndarray, dof: float) -> float:
    """Cragg-Donald F on partialled-out endogenous X (n x K1) and excluded instruments Z (n x L)."""
    pz_x = Z @ np.linalg.lstsq(Z, X, rcond=None)[0]
    s_vv = (X - pz_x).T @ (X - pz_x)
    m = _msqrt_inv(s_vv)
    eig = np.linalg.eigvalsh(m @ (X.T @ pz_x) @ m)
    return float(dof / Z.shape[1] * eig.min())


def _meat_vec_pi(Z: np.ndarray, E: np.ndarray, spec: VcovSpec) -> np.ndarray:
    """Meat of vec(Z'E) (column-stacked) under the fit's covariance (robust, clustered, multiway, Conley);
    iid handled by the caller."""
    n, L = Z.shape
    K1 = E.shape[1]
    s = (Z[:, None, :] * E[:, :, None]).reshape(n, K1 * L)  # row i: vec(z_i e_i') column-stacked
    return meat(s, spec)


def kleibergen_paap(X: np.ndarray, Z: np.ndarray, spec: VcovSpec) -> dict[str, float]:
    """Kleibergen-Paap (2006) rk Wald and LM statistics for H0: rank(Pi) = K1 - 1.

    ``X`` (n x K1) and ``Z`` (n x L) must already be partialled out of the included exogenous
    regressors and fixed effects. Returns chi2 statistics with df = L - K1 + 1.
    """
    n, L = Z.shape
    K1 = X.shape[1]
    zz = Z.T @ Z
    pi = np.linalg.solve(zz, Z.T @ X)  # L x K1
    F = linalg.cholesky(zz, lower=False)          # F'F = Z'Z
    G = linalg.cholesky(X.T @ X, lower=False)     # G'G = X'X
    theta = F @ pi @ np.linalg.inv(G)
    U, _, Vt = np.linalg.svd(theta, full_matrices=True)
    V = Vt.T
    q = K1 - 1
    U12, U22 = U[:q, q:], U[q:, q:]
    V12, V22 = V[:q, q:], V[q:, q:]
    a_perp = np.vstack([U12, U22]) @ np.linalg.inv(U22) @ linalg.sqrtm(U22 @ U22.T).real
    b_perp = linalg.sqrtm(V22 @ V22.T).real @ np.linalg.inv(V22.T) @ np.hstack([V12.T, V22.T])
    lam = (a_perp.T @ theta @ b_perp.T).reshape(-1, order="F")
    kron = np.kron(b_perp, a_perp.T)                       # maps vec(theta) -> lam
    trans = np.kron(np.linalg.inv(G).T, F)                 # vec(theta) = trans @ vec(pi)
    izz = np.linalg.inv(zz)
    bread = np.kron(np.eye(K1), izz)
    out = {}
    for name, E in (("wald", X - Z @ pi), ("lm", X)):
        if spec.kind == "iid":
            v_pi = np.kron(E.T @ E / n, izz)
        else:
            v_pi = bread @ _meat_vec_pi(Z, E, spec) @ bread
        omega = kron @ trans @ v_pi @ trans.T @ kron.T
        out[name] = float(lam @ np.linalg.solve(omega, lam))
    out["df"] = (L - K1 + 1)
    return out


def fit_iv(
    data: pd.DataFrame,
    formula: str,
    *,
    cluster: str | list[str] | None = None,
    vcov: str | Conley | dict | None = None,
    missing: str = DEFAULT_MISSING,
) -> EstimationResult:
    """FE-2SLS ``"y ~ w | city + year | x ~ z1 + z2"`` with first stage and weak-IV statistics.

    ``cluster`` / ``vcov`` / ``missing`` as in ``fit_fe`` (one or several cluster columns, HC1, iid,
    ``{"CRV1": "city"}``, or a Conley request; rows missing any column of the formula or the clusters dropped
    listwise, count in ``info["n_dropped_na"]``); the first stages, the Kleibergen-Paap statistics and Hansen's J use the same covariance.

    Returns an EstimationResult (model ``"FE-2SLS"``/``"2SLS"``) with ``cov`` and ``stats`` (names
    in :mod:`analysis.estimators.statistics`): ``KP_rk_LM`` (+ ``KP_rk_LM_p``), ``KP_rk_Wald``,
    ``KP_rk_Wald_F``, ``Cragg_Donald_F``, ``first_stage_F`` (per endogenous regressor,
    robust/cluster under the pinned convention), ``effective_F`` (one endogenous regressor: Montiel Olea-
    Pflueger, ``analysis.estimators.inference.weak_iv``), ``Hansen_J`` / ``Sargan`` (+ p) when
    over-identified, the Stock-Yogo critical values (``SY_size_10%`` ...), ``R2`` (structural
    residuals against the raw outcome) and, with fixed effects, ``R2_within`` (against the demeaned
    outcome); ``info["first_stage"]`` holds one EstimationResult per endogenous regressor (its
    ``first_stage_F`` and ``partial_R2``).
    """
    f = parse_formula(formula)
    if not f.endog:
        raise ValueError("formula has no IV part 'endog ~ instruments'; use panel.fit_fe for OLS")
    if len(f.instruments) < len(f.endog):
        raise ValueError(
            f"under-identified: {len(f.endog)} endogenous regressor(s) {list(f.endog)} but only "
            f"{len(f.instruments)} instrument(s) {list(f.instruments)}; add instruments"
        )
    overlap = set(f.instruments) & set(f.exog + f.endog)
    if overlap:
        raise ValueError(f"instrument(s) {sorted(overlap)} also appear as regressors")
    numeric = [f.y, *f.exog, *f.endog, *f.instruments]
    cluster, vcov = vcov_request(cluster, vcov)
    data, n_na = check_frame(data, numeric, list(f.fe) + cluster_columns(cluster), missing=missing, who="fit_iv")
    demeaner = Demeaner([factorize(data[c].to_numpy())[0] for c in f.fe])
    spec = resolve_vcov(data, cluster, vcov)
    raw = data[numeric].to_numpy(dtype=float)
    dm = demeaner(raw)
    scale = column_scale(raw)  # y, w, x, z: each column's size before demeaning
    n = dm.shape[0]
    k_w, k_x, k_z = len(f.exog), len(f.endog), len(f.instruments)
    y = dm[:, 0]
    W = dm[:, 1 : 1 + k_w]
    X = dm[:, 1 + k_w : 1 + k_w + k_x]
    Zx = dm[:, 1 + k_w + k_x :]
    w_names = list(f.exog)
    if not f.fe and f.intercept:
        W = np.column_stack([np.ones(n), W])
        w_names = ["Intercept", *w_names]
    names = [*w_names, *f.endog]
    regs = np.column_stack([W, X])
    inst = np.column_stack([W, Zx])
    w_scale = np.r_[[0.0] * (W.shape[1] - k_w), scale[1 : 1 + k_w]]  # an intercept has no raw variation
    x_scale, z_scale = scale[1 + k_w : 1 + k_w + k_x], scale[1 + k_w + k_x :]
    # full-rank checks with named columns
    ols(np.zeros(n), inst, [*w_names, *f.instruments], scale=np.r_[w_scale, z_scale])
    ols(np.zeros(n), regs, names, scale=np.r_[w_scale, x_scale])

    # ---- 2SLS
    gamma = np.linalg.lstsq(inst, regs, rcond=None)[0]
    xhat = inst @ gamma
    beta, _, xtx_inv = ols(y, xhat, names)
    resid = y - regs @ beta
    k = regs.shape[1]
    k_dof = dof_k(k, demeaner, spec)
    cov, df = sandwich(xhat, resid, xtx_inv, spec, k_dof)

    # ---- partial out W for the identification statistics
    def part(a):
        if W.shape[1] == 0:
            return a
        return a - W @ np.linalg.lstsq(W, a, rcond=None)[0]

    Xp, Zp = part(X), part(Zx)
    kz_dof = dof_k(inst.shape[1], demeaner, spec)       # K of the first stage (all instruments)
    kz_full = inst.shape[1] + demeaner.absorbed_dof()
    stats_: dict[str, float] = {}
    kp = kleibergen_paap(Xp, Zp, spec)
    L = k_z
    # the rk Wald statistic rescaled by the inverse of the engine's small-sample factor (iid and HC1:
    # (N-K)/N with every FE counted; CR1: (N-K)/(N-1) (G-1)/G), so that with one endogenous regressor
    # it equals the first-stage F of the excluded instruments
    wald_f = kp["wald"] / L / small_sample(spec.kind, n, kz_dof, spec.n_clusters)[0]
    cd_f = cragg_donald(Xp, Zp, n - kz_full)
    stats_.update({
        KP_RK_LM: kp["lm"], KP_RK_LM_P: float(dist.chi2_sf(kp["lm"], kp["df"])),
        KP_RK_WALD: kp["wald"], KP_RK_WALD_F: float(wald_f), CRAGG_DONALD_F: cd_f,
    })

    # ---- first stages (one per endogenous regressor), same covariance convention
    first = {}
    for j, name in enumerate(f.endog):
        b1, e1, inv1 = ols(X[:, j], inst, [*w_names, *f.instruments])
        c1, df1 = sandwich(inst, e1, inv1, spec, kz_dof)
        idx = np.arange(W.shape[1], inst.shape[1])
        bz = b1[idx]
        fstat = float(bz @ np.linalg.solve(c1[np.ix_(idx, idx)], bz) / L)
        ssr_full = float(e1 @ e1)
        e_r = part(X[:, [j]])[:, 0]
        partial_r2 = 1 - ssr_full / float(e_r @ e_r)
        first_names = [*w_names, *f.instruments]
        first[name] = EstimationResult(
            params=pd.Series(b1, index=first_names),
            bse=pd.Series(np.sqrt(np.diag(c1)), index=first_names),
            nobs=n, model="first stage", df_resid=df1,
            stats={first_stage_f(): fstat, PARTIAL_R2: partial_r2},
            info={"dep_var": name, "fe": list(f.fe), "cluster": spec.cluster_name, "vcov": spec.kind,
                  "df_k": kz_dof},
            cov=pd.DataFrame(c1, index=first_names, columns=first_names),
        )
        stats_[first_stage_f(name) if k_x > 1 else first_stage_f()] = fstat
        if k_x == 1:   # Montiel Olea-Pflueger effective F: pi' S pi / tr(V_pi S), S = z'z of the partialled z
            S = Zp.T @ Zp
            stats_[EFFECTIVE_F] = float(bz @ S @ bz / np.trace(c1[np.ix_(idx, idx)] @ S))

    # ---- over-identification
    if L > k_x:
        overid_df = L - k_x
        if spec.kind == "iid":
            pz_u = inst @ np.linalg.lstsq(inst, resid, rcond=None)[0]
            j_stat = float(n * (resid @ pz_u) / (resid @ resid))
            stats_.update({SARGAN: j_stat, SARGAN_P: float(dist.chi2_sf(j_stat, overid_df))})
        else:
            S = meat(inst * resid[:, None], spec)
            gvec = inst.T @ resid
            j_stat = float(gvec @ np.linalg.lstsq(S, gvec, rcond=None)[0])
            stats_.update({HANSEN_J: j_stat, HANSEN_J_P: float(dist.chi2_sf(j_stat, overid_df))})
    sy = stock_yogo(k_x, L)
    stats_.update({stock_yogo_key(kind, p): v for kind, p, v in _stock_yogo_values(k_x, L)})

    # R2 of the structural residuals: against the raw outcome (R2) and, with fixed effects, against
    # the demeaned one (R2_within, what xtivreg2 / ivreg2 with partialled FE print as "R2")
    ssr = float(resid @ resid)
    y_raw = data[f.y].to_numpy(dtype=float)
    tss = float(((y_raw - y_raw.mean()) ** 2).sum())
    stats_[R2] = 1 - ssr / tss if tss > 0 else np.nan
    if f.fe:
        tss_within = float(y @ y)
        stats_[R2_WITHIN] = 1 - ssr / tss_within if tss_within > 0 else np.nan
    if spec.kind == "CR1":
        stats_[N_CLUSTERS] = int(spec.n_clusters)
    info = {
        "formula": formula, "dep_var": f.y, "fe": list(f.fe), "cluster": spec.cluster_name, "vcov": spec.kind,
        "df_k": k_dof, "first_stage": first, "endog": list(f.endog),
        "instruments": list(f.instruments), "stock_yogo": sy, "resid": resid, "n_dropped_na": n_na,
    }
    return EstimationResult(
        params=pd.Series(beta, index=names), bse=pd.Series(np.sqrt(np.diag(cov)), index=names),
        nobs=n, model="FE-2SLS" if f.fe else "2SLS", df_resid=df, stats=stats_, info=info,
        cov=pd.DataFrame(cov, index=names, columns=names),
    )
