"""The imputation estimator of Borusyak, Jaravel and Spiess (2024, REStud; public API in `analysis.estimators.did`)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.estimators.base import EstimationResult
from analysis.estimators.did.core import prepare_cohort_panel
from analysis.estimators.inputs import DEFAULT_MISSING
from analysis.estimators.fixed_effects import cluster_sums, factorize
from analysis.estimators.statistics import N_CLUSTERS, N_TREATED_OBS, N_UNTREATED_OBS
from analysis.estimators.did.twfe import _rel_label


def imputation_did(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                   controls: Sequence[str] = (), horizons: Sequence[int] | None = None,
                   cluster: str | None = None, exclude: Any = None, leads: int = 0,
                   missing: str = DEFAULT_MISSING) -> EstimationResult:
    """Imputation DID of Borusyak, Jaravel and Spiess (2024, "Revisiting event-study designs").

    1. Fit ``Y_it = alpha_i + lambda_t + X_it' gamma + e_it`` by OLS on untreated observations only
       (never-treated and not-yet-treated, ``t < G_i``).
    2. Impute ``Y_it(0)`` for treated observations and take ``tau_it = Y_it - Yhat_it(0)``.
    3. Average: ``"ATT"`` = mean of tau over all treated observations; ``"t+e"`` = mean over event
       time e (``horizons``, default every observed e >= 0).

    Point estimates equal Gardner's two-stage DID (pyfixest ``did2s``) with the same first stage.
    Standard errors: BJS Theorem 3, the conservative clustered variance
    ``sum_c (sum_{it in c} v_it eps_it)^2`` with imputation weights ``v`` (``w`` on treated
    observations, ``-Z0 (Z0'Z0)^-1 Z1' w`` on untreated ones), OLS residuals for untreated
    observations and ``tau_it - tau_bar`` for treated ones, ``tau_bar`` the v-weighted mean within
    cohort x period cells. Clustered by ``cluster`` (default: ``entity``); normal inference.
    Treated observations whose unit or period has no untreated observation cannot be imputed and
    are dropped (count in ``info["n_not_imputable"]``).

    ``leads=K`` adds pre-period coefficients ``"t-2" ... "t-(K+1)"``, BJS's test of pre-trends on the untreated
    observations only (their Test 1): OLS of Y on unit and period effects, the controls and indicators of
    ``t - G_i = -2, ..., -K, <= -(K+1)`` (the last binned; t-1 is the reference, as in an event study), so that
    HonestDiD can read the result. Their covariance with the imputation estimates stacks both linear
    estimators' per-cluster scores (OLS scores ``x_it e_it`` of the lead regression; no small-sample factor,
    like BJS's variance). ``missing`` as in `fit_twfe_did` (count in ``info["n_dropped_na"]``).
    """
    controls = list(controls)
    cluster = cluster or entity
    df, n_excl, n_na = prepare_cohort_panel(data, y=y, entity=entity, time=time, cohort=cohort,
                                            controls=controls, cluster=cluster, exclude=exclude,
                                            missing=missing, who="imputation_did")
    t_val = df[time].to_numpy(dtype=float)
    g = df["_g"].to_numpy()
    treated = t_val >= g
    u_codes, n_u = factorize(df[entity].to_numpy())
    p_codes, n_p = factorize(df[time].to_numpy())
    has_u0 = np.bincount(u_codes[~treated], minlength=n_u) > 0
    has_p0 = np.bincount(p_codes[~treated], minlength=n_p) > 0
    ok = ~treated | (has_u0[u_codes] & has_p0[p_codes])
    n_not_imp = int((~ok).sum())
    df, t_val, g, treated = df.loc[ok], t_val[ok], g[ok], treated[ok]
    # re-code: units / periods left without any observation disappear from the design
    u_codes, n_u = factorize(u_codes[ok])
    p_codes, n_p = factorize(p_codes[ok])
    has_p0 = np.bincount(p_codes[~treated], minlength=n_p) > 0
    if treated.sum() == 0:
        raise ValueError(f"no treated observations can be imputed (check '{cohort}')")
    n = len(df)
    # design: unit dummies, period dummies without the first observed untreated period, controls
    rows = np.arange(n)
    U = sp.csr_matrix((np.ones(n), (rows, u_codes)), shape=(n, n_u))
    keep_p = np.flatnonzero(has_p0)[1:]
    P = sp.csr_matrix((np.ones(n), (rows, p_codes)), shape=(n, n_p))[:, keep_p]
    blocks = [U, P]
    if controls:
        blocks.append(sp.csr_matrix(df[controls].to_numpy(dtype=float)))
    Z = sp.hstack(blocks).tocsr()
    Z0, Z1 = Z[~treated], Z[treated]
    yv = df[y].to_numpy(dtype=float)
    y0, y1 = yv[~treated], yv[treated]
    ZtZ = (Z0.T @ Z0).tocsc()
    import scipy.sparse.linalg as spla   # here, not at import: the package stays quick to import

    try:
        lu = spla.splu(ZtZ)
        beta = lu.solve(np.asarray(Z0.T @ y0).ravel())
    except RuntimeError as err:
        raise ValueError(
            f"singular first stage on untreated observations ({err}); a control is collinear with "
            f"the unit and period effects, or the untreated panel is disconnected"
        ) from err
    if not np.all(np.isfinite(beta)):
        raise ValueError("singular first stage on untreated observations; drop collinear controls")
    eps0 = y0 - Z0 @ beta
    tau = y1 - Z1 @ beta

    # estimands as weight vectors over treated observations
    e_obs = (t_val - g)[treated]
    hz = sorted({int(e) for e in e_obs}) if horizons is None else [int(h) for h in horizons]
    names, W = ["ATT"], [np.full(len(tau), 1.0 / len(tau))]
    for h in hz:
        m = e_obs == h
        if not m.any():
            raise ValueError(f"no treated observations at horizon {h}")
        names.append(_rel_label(h))
        W.append(m / m.sum())
    W = np.column_stack(W)
    est = W.T @ tau
    A = lu.solve(np.asarray((Z1.T @ W).todense()) if sp.issparse(Z1.T @ W) else np.asarray(Z1.T @ W))
    V0 = -(Z0 @ A)  # untreated weights, n0 x K

    # treated residuals: tau - v-weighted cell mean (cells = cohort x period)
    cell = factorize(pd.Series(g[treated]).astype(str) + "|" + pd.Series(t_val[treated]).astype(str))[0]
    n_cell = int(cell.max()) + 1
    C = sp.csr_matrix((np.ones(len(cell)), (cell, np.arange(len(cell)))), shape=(n_cell, len(cell)))
    num = C @ (W * tau[:, None])
    den = C @ W
    with np.errstate(divide="ignore", invalid="ignore"):
        tbar = np.where(den > 0, num / den, 0.0)
    eps1 = tau[:, None] - tbar[cell]
    cl, n_cl = factorize(df[cluster].to_numpy())
    contrib = np.zeros((n, W.shape[1]))
    contrib[~treated] = V0 * eps0[:, None]
    contrib[treated] = W * eps1
    if leads:
        lead_est, lead_names, lead_contrib = _pretrend_leads(df, ~treated, t_val, g, y, entity, time, controls,
                                                            int(leads))
        est, names = np.r_[est, lead_est], [*names, *lead_names]
        contrib = np.column_stack([contrib, lead_contrib])
    sums = cluster_sums(contrib, cl, n_cl)
    se = np.sqrt(np.sum(sums**2, axis=0))
    cov = sums.T @ sums  # its diagonal is se**2: the same clustered sums, crossed between estimands
    return EstimationResult(
        params=pd.Series(est, index=names), bse=pd.Series(se, index=names), nobs=n,
        model="Imputation DID (BJS)", df_resid=None,
        stats={N_TREATED_OBS: int(treated.sum()), N_UNTREATED_OBS: int((~treated).sum()),
               N_CLUSTERS: int(n_cl)},
        info={"dep_var": y, "fe": [entity, time], "cluster": cluster, "vcov": "BJS conservative (clustered)",
              "controls": list(controls), "horizons": hz,
              "n_not_imputable": n_not_imp, "n_excluded": n_excl, "n_dropped_na": n_na,
              "tau": pd.Series(tau, index=df.index[treated])},
        cov=pd.DataFrame(np.asarray(cov), index=names, columns=names),
    )


def _pretrend_leads(df: pd.DataFrame, untreated: np.ndarray, t_val: np.ndarray, g: np.ndarray, y: str, entity: str,
                    time: str, controls: list, K: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    """BJS's pre-trend regression on the untreated rows (see ``imputation_did``): the lead coefficients, their
    names and each row's score contribution (zero on treated rows)."""
    from analysis.estimators.fixed_effects import fit_within, within_design

    if K < 1:
        raise ValueError(f"leads must be a positive integer, got {K}")
    e = t_val - g                                   # -inf for never-treated units
    sub = df.loc[untreated]
    e0 = e[untreated]
    names, cols = [], {}
    for k in range(2, K + 2):
        name = _rel_label(-k)
        cols[name] = (e0 <= -k).astype(float) if k == K + 1 else (e0 == -k).astype(float)
        if cols[name].sum() == 0:
            raise ValueError(f"no untreated observations {k} periods before treatment; use fewer leads")
        names.append(name)
    sub = sub.assign(**cols)
    design = within_design(sub, y=y, regressors=[*names, *controls], fe=[entity, time])
    fit = fit_within(design, model="BJS pre-trend leads")
    bread = np.linalg.inv(design.X.T @ design.X)
    scores = design.X * fit.info["resid"][:, None] @ bread[:, :len(names)]
    contrib = np.zeros((len(df), len(names)))
    contrib[untreated] = scores
    return fit.params[names].to_numpy(), names, contrib
