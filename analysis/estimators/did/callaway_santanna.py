"""Callaway and Sant'Anna (2021) group-time ATTs and their aggregations (public API in `analysis.estimators.did`).

A re-implementation of R ``did::att_gt`` / ``did::aggte`` for panel data (with the 2x2 estimators of
``DRDID``: ``drdid_panel``, ``std_ipw_did_panel``, ``reg_did_panel``), including the influence
functions that give the analytic standard errors and the multiplier bootstrap. Public API in
`analysis.estimators.did`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
import analysis.estimators.distributions as dist

from analysis.estimators.base import EstimationResult
from analysis.estimators.statistics import ATT, ATT_SE, N_UNITS, PRETREND_CHI2, PRETREND_P
from analysis.estimators.did.core import check_columns, checked_cohorts
from analysis.estimators.inputs import DEFAULT_MISSING, drop_missing

_EPS = np.sqrt(np.finfo(float).eps) * 10  # R did's threshold for "zero" standard errors


def _influence_cov(inf: np.ndarray, se: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Covariance of estimates from their influence functions, ``psi' psi / n^2`` (its diagonal is
    the analytic SE squared); rows of estimates without a standard error (NaN) are NaN."""
    n = inf.shape[0]
    cov = inf.T @ inf / n**2
    bad = ~np.isfinite(np.asarray(se, dtype=float))
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    return pd.DataFrame(cov, index=names, columns=names)


# ---------------------------------------------------------------- 2x2 DID estimators (DRDID)


def _logit(X: np.ndarray, D: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Logit MLE by Newton-Raphson; returns fitted probabilities and (X'WX)^-1 (R's vcov(glm))."""
    beta = np.zeros(X.shape[1])
    p0 = np.clip(D.mean(), 1e-6, 1 - 1e-6)
    beta[0] = np.log(p0 / (1 - p0)) if np.allclose(X[:, 0], 1.0) else 0.0
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        W = p * (1 - p)
        H = (X * W[:, None]).T @ X
        step = np.linalg.solve(H, X.T @ (D - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    H = (X * (p * (1 - p))[:, None]).T @ X
    return p, np.linalg.inv(H)


def _ols_controls(dy: np.ndarray, D: np.ndarray, X: np.ndarray):
    """Outcome regression of dY on X among controls, and its asymptotic linear representation."""
    n = len(dy)
    c = D == 0
    beta, *_ = np.linalg.lstsq(X[c], dy[c], rcond=None)
    out_delta = X @ beta
    w_ols = (1 - D)
    XpX_inv = np.linalg.inv((X * w_ols[:, None]).T @ X / n)
    alr_ols = (w_ols * (dy - out_delta))[:, None] * X @ XpX_inv
    return out_delta, alr_ols


def _reg_did(dy, D, X):
    """``DRDID::reg_did_panel``: outcome-regression DID (Heckman, Ichimura and Todd 1997)."""
    out_delta, alr_ols = _ols_controls(dy, D, X)
    w_t = D.astype(float)
    att_t, att_c = w_t * dy, w_t * out_delta
    eta_t, eta_c = att_t.mean() / w_t.mean(), att_c.mean() / w_t.mean()
    inf_t = (att_t - w_t * eta_t) / w_t.mean()
    M1 = (w_t[:, None] * X).mean(axis=0)
    inf_c = (att_c - w_t * eta_c + alr_ols @ M1) / w_t.mean()
    return eta_t - eta_c, inf_t - inf_c


def _ipw_weights(D, X):
    n = len(D)
    ps, V = _logit(X, D.astype(float))
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(D == 0, ps < 0.995, True)
    alr_ps = ((D - ps)[:, None] * X) @ (V * n)
    w_t = trim * D
    w_c = trim * ps * (1 - D) / (1 - ps)
    return w_t.astype(float), w_c, alr_ps


def _ipw_did(dy, D, X):
    """``DRDID::std_ipw_did_panel``: normalised (Hajek) IPW DID (Abadie 2005)."""
    w_t, w_c, alr_ps = _ipw_weights(D, X)
    att_t, att_c = w_t * dy, w_c * dy
    eta_t, eta_c = att_t.mean() / w_t.mean(), att_c.mean() / w_c.mean()
    inf_t = (att_t - w_t * eta_t) / w_t.mean()
    M2 = ((w_c * (dy - eta_c))[:, None] * X).mean(axis=0)
    inf_c = (att_c - w_c * eta_c + alr_ps @ M2) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def _dr_did(dy, D, X):
    """``DRDID::drdid_panel``: locally efficient doubly robust DID (Sant'Anna and Zhao 2020)."""
    w_t, w_c, alr_ps = _ipw_weights(D, X)
    out_delta, alr_ols = _ols_controls(dy, D, X)
    r = dy - out_delta
    att_t, att_c = w_t * r, w_c * r
    eta_t, eta_c = att_t.mean() / w_t.mean(), att_c.mean() / w_c.mean()
    M1 = (w_t[:, None] * X).mean(axis=0)
    inf_t = (att_t - w_t * eta_t - alr_ols @ M1) / w_t.mean()
    M2 = ((w_c * (r - eta_c))[:, None] * X).mean(axis=0)
    M3 = (w_c[:, None] * X).mean(axis=0)
    inf_c = (att_c - w_c * eta_c + alr_ps @ M2 - alr_ols @ M3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


_METHODS = {"dr": _dr_did, "ipw": _ipw_did, "reg": _reg_did}


# ---------------------------------------------------------------- multiplier bootstrap


def multiplier_bootstrap(inf: np.ndarray, n_boot: int, rng: np.random.Generator,
                         alpha: float = 0.05) -> tuple[np.ndarray, float]:
    """R ``did::mboot``: Rademacher multiplier bootstrap of influence functions.

    ``b_r = sqrt(n) mean_i(v_ri psi_i)``; SE = IQR(b)/(z_.75 - z_.25)/sqrt(n); the simultaneous-band
    critical value is the (1-alpha) quantile of ``max_j |b_rj / SE_j|``. Returns (se, crit).
    """
    n = inf.shape[0]
    inf = inf.reshape(n, -1)
    V = rng.choice(np.array([-1.0, 1.0]), size=(n_boot, n))
    bres = np.sqrt(n) * (V @ inf) / n
    q75, q25 = np.quantile(bres, [0.75, 0.25], axis=0, method="inverted_cdf")
    sigma = (q75 - q25) / (dist.norm_ppf(0.75) - dist.norm_ppf(0.25))
    ok = sigma > _EPS
    se = np.where(ok, sigma / np.sqrt(n), np.nan)
    if ok.any():
        bT = np.max(np.abs(bres[:, ok] / sigma[ok]), axis=1)
        crit = float(np.quantile(bT, 1 - alpha, method="inverted_cdf"))
    else:
        crit = np.nan
    return se, crit


# ---------------------------------------------------------------- aggregation helpers (R aggte)


def _wif(keepers: np.ndarray, pg: np.ndarray, G_units: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Influence function of the estimated aggregation weights (R ``did:::wif``)."""
    ind = (G_units[:, None] == group[keepers][None, :]).astype(float) - pg[keepers][None, :]
    s = pg[keepers].sum()
    if1 = ind / s
    if2 = ind.sum(axis=1)[:, None] * (pg[keepers] / s**2)[None, :]
    return if1 - if2


def _agg_inf(att, inf, which, w, wif=None):
    out = inf[:, which] @ w
    if wif is not None:
        out = out + wif @ att[which]
    return out


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class AggregatedATT(EstimationResult):
    """An aggregation of ATT(g,t): ``params["ATT"]`` is the overall summary, the other terms
    (``"g=2004"``, ``"e=0"``, ``"t=2005"``) the components; ``influence`` holds their influence
    functions (units x terms)."""

    kind: str = ""
    influence: np.ndarray | None = None
    crit_value: float | None = None

    @property
    def overall(self) -> tuple[float, float]:
        return float(self.params["ATT"]), float(self.bse["ATT"])

    def components(self, alpha: float = 0.05) -> pd.DataFrame:
        fr = self.to_frame(alpha)
        fr = fr[fr["term"] != "ATT"].copy()
        fr.insert(0, self.kind if self.kind != "simple" else "term_value",
                  [float(t.split("=")[1]) for t in fr["term"]])
        if self.crit_value is not None and np.isfinite(self.crit_value):
            fr["band_low"] = fr["estimate"] - self.crit_value * fr["std_error"]
            fr["band_high"] = fr["estimate"] + self.crit_value * fr["std_error"]
        return fr.reset_index(drop=True)

    def plot(self, ax=None, alpha: float = 0.05):
        """Components with intervals (event-study style for ``dynamic``)."""
        from analysis.estimators.did.core import new_figure

        co = self.components(alpha)
        if ax is None:
            fig, ax = new_figure((6, 3.6))
        else:
            fig = ax.figure
        x = co.iloc[:, 0].to_numpy()
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.errorbar(x, co["estimate"], yerr=[co["estimate"] - co["conf_low"],
                                             co["conf_high"] - co["estimate"]], fmt="o", capsize=3)
        ax.set_xlabel({"dynamic": "event time", "group": "cohort", "calendar": "period"}.get(self.kind, ""))
        ax.set_ylabel("ATT")
        ax.set_title(f"Callaway-Sant'Anna {self.kind} aggregation; overall "
                     f"{self.params['ATT']:.4f} ({self.bse['ATT']:.4f})", fontsize=9)
        fig.tight_layout()
        return fig


@dataclass(frozen=True)
class CallawaySantAnnaResult(EstimationResult):
    """ATT(g,t) estimates (``params`` indexed ``"ATT(g,t)"``) with ``att_gt`` and ``aggregate``."""

    att_gt: pd.DataFrame = field(default_factory=pd.DataFrame)
    influence: np.ndarray | None = None  # units x (g,t), scaled as in R: (n / n_gt) * psi
    unit_cohort: np.ndarray | None = None  # cohort of each unit (np.inf = never treated)
    periods: tuple = ()

    def aggregate(self, kind: str = "simple", *, bootstrap: bool = False, n_boot: int = 999,
                  seed: int | None = None, alpha: float = 0.05, min_e: float = -np.inf,
                  max_e: float = np.inf) -> AggregatedATT:
        """Aggregate ATT(g,t) like R ``did::aggte(type=kind)``.

        * ``simple``: ``sum_{g<=t} w_gt ATT(g,t)``, weights proportional to cohort size.
        * ``group``: per cohort, the mean of its post-treatment ATT(g,t); overall = size-weighted mean.
        * ``dynamic``: per event time e = t-g, the cohort-size-weighted mean; overall = mean over e>=0.
        * ``calendar``: per period t, the cohort-size-weighted mean of ATT(g,t) with g<=t; overall =
          mean over periods.

        Standard errors come from the influence functions, including the estimation of the cohort
        weights (R's ``wif``); ``bootstrap=True`` replaces them by the Rademacher multiplier bootstrap
        (IQR-based, as R) and adds a simultaneous-band critical value.
        """
        if kind not in ("simple", "group", "dynamic", "calendar"):
            raise ValueError(f"kind must be simple, group, dynamic or calendar, got {kind!r}")
        tab = self.att_gt
        att = tab["att"].to_numpy()
        group = tab["cohort"].to_numpy(dtype=float)
        tt = tab["time"].to_numpy(dtype=float)
        inf = self.influence
        G = self.unit_cohort
        n = inf.shape[0]
        glist = np.sort(np.unique(group))
        pg_g = np.array([np.mean(G == g) for g in glist])
        pgg = pg_g[np.searchsorted(glist, group)]
        e_all = tt - group
        in_e = (e_all >= min_e) & (e_all <= max_e)
        names, est, infs = [], [], []
        if kind == "simple":
            keep = np.flatnonzero((group <= tt) & in_e)
            w = pgg[keep] / pgg[keep].sum()
            overall = float(att[keep] @ w)
            overall_inf = _agg_inf(att, inf, keep, w, _wif(keep, pgg, G, group))
        elif kind == "group":
            for g in glist:
                wh = np.flatnonzero((group == g) & (g <= tt) & in_e)
                if len(wh) == 0:
                    continue
                names.append(f"g={g:g}")
                est.append(att[wh].mean())
                infs.append(_agg_inf(att, inf, wh, pgg[wh] / pgg[wh].sum()))
            used = np.array([float(nm[2:]) for nm in names])
            pg_used = pg_g[np.searchsorted(glist, used)]
            est_a, inf_m = np.array(est), np.column_stack(infs)
            overall = float(est_a @ pg_used / pg_used.sum())
            wif = _wif(np.arange(len(used)), pg_used, G, used)
            overall_inf = inf_m @ (pg_used / pg_used.sum()) + wif @ est_a
        elif kind == "dynamic":
            for e in np.sort(np.unique(e_all[in_e])):
                wh = np.flatnonzero(e_all == e)
                w = pgg[wh] / pgg[wh].sum()
                names.append(f"e={e:g}")
                est.append(float(att[wh] @ w))
                infs.append(_agg_inf(att, inf, wh, w, _wif(wh, pgg, G, group)))
            es = np.array([float(nm[2:]) for nm in names])
            pos = es >= 0
            overall = float(np.mean(np.array(est)[pos]))
            overall_inf = np.column_stack(infs)[:, pos].mean(axis=1)
        else:  # calendar
            for t1 in [t for t in self.periods if t >= group.min()]:
                wh = np.flatnonzero((tt == t1) & (group <= tt) & in_e)
                if len(wh) == 0:
                    continue
                w = pgg[wh] / pgg[wh].sum()
                names.append(f"t={t1:g}")
                est.append(float(att[wh] @ w))
                infs.append(_agg_inf(att, inf, wh, w, _wif(wh, pgg, G, group)))
            overall = float(np.mean(est))
            overall_inf = np.column_stack(infs).mean(axis=1)
        all_names = ["ATT", *names]
        all_est = np.array([overall, *est])
        if not np.isfinite(all_est).all():  # a bug, not bad input: non-estimable ATT(g,t) never reach here
            bad = [nm for nm, v in zip(all_names, all_est) if not np.isfinite(v)]
            raise ValueError(f"callaway_santanna aggregate ({kind}): non-finite {bad}")
        all_inf = np.column_stack([overall_inf, *infs]) if infs else overall_inf[:, None]
        se = np.sqrt(np.sum(all_inf**2, axis=0)) / n
        se = np.where(se <= _EPS, np.nan, se)
        crit = None
        if bootstrap:
            se, crit = multiplier_bootstrap(all_inf, n_boot, np.random.default_rng(seed), alpha)
            if names:  # simultaneous band over the components only, as R
                _, crit = multiplier_bootstrap(all_inf[:, 1:], n_boot,
                                               np.random.default_rng(seed), alpha)
        return AggregatedATT(
            params=pd.Series(all_est, index=all_names), bse=pd.Series(se, index=all_names),
            nobs=self.nobs, model=f"CS-DID aggregate ({kind})", df_resid=None,
            stats={ATT: overall, ATT_SE: float(se[0])},
            info={**self.info, "kind": kind, "bootstrap": bootstrap, "n_boot": n_boot if bootstrap else 0,
                  "seed": seed},
            kind=kind, influence=all_inf, crit_value=crit,
            cov=None if bootstrap else _influence_cov(all_inf, se, all_names),
        )


# ---------------------------------------------------------------- estimator


def callaway_santanna(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                      control_group: str = "never_treated", method: str = "dr",
                      controls: Sequence[str] | None = None, base_period: str = "varying",
                      anticipation: int = 0, bootstrap: bool = False, n_boot: int = 999,
                      alpha: float = 0.05, seed: int | None = None,
                      missing: str = DEFAULT_MISSING) -> CallawaySantAnnaResult:
    """Group-time average treatment effects of Callaway and Sant'Anna (2021, J. Econometrics).

    For cohort g (first treated period) and period t, with base period b:
    ``ATT(g,t) = E[Y_t - Y_b | G=g] - E[Y_t - Y_b | C]`` (conditional on controls through the
    2x2 estimator ``method``: ``"dr"`` doubly robust, Sant'Anna and Zhao 2020; ``"ipw"`` normalised
    inverse probability weighting, Abadie 2005; ``"reg"`` outcome regression). Comparison group C:
    never-treated units, or (``"not_yet_treated"``) units with ``G > max(t, b) + anticipation``.

    Conventions (those of R ``did`` 2.x, which this reproduces on ``mpdta``)
    -----------------------------------------------------------------------
    * ``base_period="varying"``: post periods use ``b = g - 1 - anticipation``, pre periods the
      immediately preceding period (so pre-period ATTs are one-period "placebo" changes);
      ``"universal"``: ``b = g - 1 - anticipation`` everywhere and ATT(g, b) = 0 is reported.
    * Units treated in the first period are dropped; cohorts after the last period count as
      never treated. The control variables (``controls``, R's ``xformla``) are taken from the base
      period.
    * Analytic SE: ``sqrt(sum_i psi_i^2) / n`` with the unit-level influence function scaled
      ``n / n_gt`` (R: ``bstrap=FALSE``); ``bootstrap=True`` uses the Rademacher multiplier bootstrap
      with IQR-based SE and simultaneous bands (R's default ``bstrap=TRUE, cband=TRUE``).
    * Unbalanced panels: each ATT(g,t) uses the units observed in both t and b (their influence
      function is zero elsewhere). R uses a repeated cross-section estimator instead, so numbers
      on unbalanced data differ from R's ``allow_unbalanced_panel=TRUE``.
    * Missing values: ``missing="drop"`` (default) drops the rows missing ``y``, a control or a key
      (warning, count in ``info["n_dropped_na"]``; a period in which the outcome is missing for every unit,
      such as a series that ends early, leaves the sample whole); ``"raise"`` refuses them. An ATT(g,t)
      that no treated or no comparison unit observed in both t and b can identify is left out of the table
      and the aggregations with a warning, listed in ``info["gt_not_estimable"]``: no aggregate is NaN.
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError("control_group must be 'never_treated' or 'not_yet_treated'")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError("base_period must be 'varying' or 'universal'")
    controls = list(controls or [])
    check_columns(data, [y, entity, time, cohort, *controls], numeric=[y, time, *controls],
                  who="callaway_santanna")
    data, n_na = drop_missing(data, [y, entity, time, *controls], missing=missing, who="callaway_santanna")
    g_row = checked_cohorts(data, entity, time, cohort)

    units, unit_codes = np.unique(data[entity].to_numpy(), return_inverse=True)
    periods = np.sort(np.unique(data[time].to_numpy(dtype=float)))
    t_codes = np.searchsorted(periods, data[time].to_numpy(dtype=float))
    n_all, T = len(units), len(periods)
    Y = np.full((n_all, T), np.nan)
    Y[unit_codes, t_codes] = data[y].to_numpy(dtype=float)
    Xcov = np.full((n_all, T, len(controls)), np.nan)
    if controls:
        Xcov[unit_codes, t_codes, :] = data[controls].to_numpy(dtype=float)
    G = np.full(n_all, np.inf)
    G[unit_codes] = g_row
    G = np.where(G > periods[-1], np.inf, G)  # treated after the sample: never treated here
    keep = G > periods[0]  # drop units already treated in the first period
    n_dropped_first = int((~keep).sum())
    Y, Xcov, G, units = Y[keep], Xcov[keep], G[keep], units[keep]
    n = len(G)
    glist = np.sort(np.unique(G[np.isfinite(G)]))
    if len(glist) == 0:
        raise ValueError(f"no treated cohorts inside the sample periods in column '{cohort}'")
    if control_group == "never_treated" and not np.isinf(G).any():
        raise ValueError("no never-treated units: use control_group='not_yet_treated'")
    est_fn = _METHODS[method]

    rows, infs = [], []
    for g in glist:
        pre = periods[periods < g - anticipation]
        if len(pre) == 0:
            continue
        b_univ = pre[-1]
        t_range = range(1, T) if base_period == "varying" else range(T)
        for ti in t_range:
            tcur = periods[ti]
            if base_period == "varying":
                b = b_univ if tcur >= g - anticipation else periods[ti - 1]
            else:
                b = b_univ
            if base_period == "universal" and tcur == b:
                rows.append((g, tcur, 0.0, np.nan, 0, b))
                infs.append(np.zeros(n))
                continue
            bi = int(np.searchsorted(periods, b))
            if control_group == "never_treated":
                ctrl = np.isinf(G)
            else:
                ctrl = np.isinf(G) | ((G > max(tcur, b) + anticipation) & (G != g))
            sel = ((G == g) | ctrl) & ~np.isnan(Y[:, ti]) & ~np.isnan(Y[:, bi])
            D = (G[sel] == g).astype(float)
            if D.sum() == 0 or (1 - D).sum() == 0:
                rows.append((g, tcur, np.nan, np.nan, int(sel.sum()), b))
                infs.append(np.zeros(n))
                continue
            dy = Y[sel, ti] - Y[sel, bi]
            X = np.ones((int(sel.sum()), 1))
            if controls:
                X = np.column_stack([X, Xcov[sel, bi, :]])
                if np.isnan(X).any():
                    raise ValueError(f"controls missing in period {b:g} for units used by "
                                     f"ATT({g:g},{tcur:g}); fill or drop them")
            try:
                att, psi = est_fn(dy, D, X)
            except np.linalg.LinAlgError as err:
                raise ValueError(
                    f"singular design in ATT({g:g},{tcur:g}) (controls {controls} collinear "
                    f"or perfectly predicting treatment): {err}"
                ) from err
            n1 = int(sel.sum())
            full = np.zeros(n)
            full[sel] = (n / n1) * psi
            se = np.sqrt(np.sum(full**2)) / n
            rows.append((g, tcur, float(att), se if se > _EPS else np.nan, n1, b))
            infs.append(full)
    tab = pd.DataFrame(rows, columns=["cohort", "time", "att", "se", "n_units", "base"])
    inf = np.column_stack(infs)
    estimable = tab["att"].notna().to_numpy()
    not_estimable = [f"ATT({g:g},{t:g})" for g, t in zip(tab["cohort"][~estimable], tab["time"][~estimable])]
    if not_estimable:
        warnings.warn(f"callaway_santanna: {len(not_estimable)} ATT(g,t) without a treated or a comparison unit "
                      f"observed in both periods left out of the table and the aggregations: "
                      f"{', '.join(not_estimable[:8])}{' ...' if len(not_estimable) > 8 else ''}", stacklevel=2)
        tab, inf = tab[estimable].reset_index(drop=True), inf[:, estimable]
    if tab.empty:
        raise ValueError("callaway_santanna: no ATT(g,t) can be estimated (no cohort has treated and comparison "
                         "units observed in a period and its base period)")
    crit = None
    if bootstrap:
        se_b, crit = multiplier_bootstrap(inf, n_boot, np.random.default_rng(seed), alpha)
        tab["se_analytic"] = tab["se"]
        tab["se"] = se_b
    z = crit if crit is not None and np.isfinite(crit) else dist.norm_ppf(1 - alpha / 2)
    tab["conf_low"] = tab["att"] - z * tab["se"]
    tab["conf_high"] = tab["att"] + z * tab["se"]
    tab["post"] = tab["time"] >= tab["cohort"]
    names = [f"ATT({g:g},{t:g})" for g, t in zip(tab["cohort"], tab["time"])]
    pre_mask = ~tab["post"].to_numpy() & tab["se"].notna().to_numpy()
    pre_w = {}
    if pre_mask.any():
        # Wald pre-test of all pre-period ATT(g,t) = 0 (R's "P-value for pre-test of parallel trends")
        Vpre = inf[:, pre_mask].T @ inf[:, pre_mask] / n**2
        bpre = tab["att"].to_numpy()[pre_mask]
        W = float(bpre @ np.linalg.pinv(Vpre) @ bpre)
        pre_w = {PRETREND_CHI2: W, PRETREND_P: float(dist.chi2_sf(W, int(pre_mask.sum())))}
    return CallawaySantAnnaResult(
        params=pd.Series(tab["att"].to_numpy(), index=names),
        bse=pd.Series(tab["se"].to_numpy(), index=names),
        nobs=int(np.sum(~np.isnan(Y))), model="Callaway-Sant'Anna ATT(g,t)", df_resid=None,
        stats={N_UNITS: int(n), **pre_w},
        info={"control_group": control_group, "method": method, "controls": controls,
              "base_period": base_period, "anticipation": anticipation, "bootstrap": bootstrap,
              "n_boot": n_boot if bootstrap else 0, "seed": seed, "crit_value": crit,
              "n_dropped_treated_first_period": n_dropped_first, "n_dropped_na": n_na,
              "gt_not_estimable": not_estimable},
        att_gt=tab, influence=inf, unit_cohort=G, periods=tuple(periods),
        cov=None if bootstrap else _influence_cov(inf, tab["se"].to_numpy(), names),
    )
