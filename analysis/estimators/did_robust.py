"""Private module: Sun-Abraham interaction-weighted event study and the Goodman-Bacon decomposition."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.did_core import (
    prepare_cohort_panel,
    check_cohort_constant,
    check_columns,
    check_unique_panel,
    cohort_values,
    fit_fe_ols,
)
from analysis.estimators.did_twfe import EventStudyResult, _rel_label
from analysis.estimators.base import EstimationResult
from analysis.estimators.statistics import ATT, ATT_SE, FORBIDDEN_WEIGHT, PRETREND_F, PRETREND_P, SUM_WEIGHTS


# ---------------------------------------------------------------- Sun and Abraham (2021)


@dataclass(frozen=True)
class SunAbrahamResult(EventStudyResult):
    """Event-time IW estimates (``params``) plus the cohort x event-time CATT table (``catt``)."""

    catt: pd.DataFrame = field(default_factory=pd.DataFrame)


def sun_abraham(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                control_group: str = "never_treated", base: int = -1,
                window: tuple[int, int] | None = None, controls: Sequence[str] = (),
                cluster: str | None = None, exclude: Any = None) -> SunAbrahamResult:
    """Interaction-weighted event study of Sun and Abraham (2021, J. Econometrics).

    Step 1, the saturated regression
    ``y_it = sum_g sum_{e != base} delta_{g,e} 1[G_i = g] 1[t - g = e] + X_it' gamma``
    ``+ alpha_i + lambda_t + e_it``
    with the comparison cohort's indicators omitted: never-treated units (``control_group=
    "never_treated"``) or the last-treated cohort (``"last_treated"``; periods from its treatment
    onward are dropped). Step 2, ``beta_e = sum_g w_{g,e} delta_{g,e}`` with ``w_{g,e}`` the share of
    cohort g among the treated observations at event time e; the overall ATT averages the post
    cells (e >= 0) with weights proportional to their observation counts (fixest ``sunab``'s
    ``att``).

    Conventions: cohorts first treated after the last period count as never treated; cohorts
    treated in the first period are dropped; weights are treated as fixed in the delta-method
    variance ``w' V_delta w`` (as fixest); ``V_delta`` is HC1 or CRV1 exactly as `fit_twfe_did`.
    ``window=(lo, hi)`` drops treated-unit rows outside the window (no binning: binning would
    re-mix cohorts). With
    never-treated controls, a balanced panel and no covariates, ``delta_{g,e}`` equals Callaway and
    Sant'Anna's ATT(g, g+e) with a universal base period (checked in the tests).
    """
    if control_group not in ("never_treated", "last_treated"):
        raise ValueError("control_group must be 'never_treated' or 'last_treated'")
    controls = list(controls)
    df, n_excl, n_na = prepare_cohort_panel(data, y=y, entity=entity, time=time, cohort=cohort,
                                            controls=controls, cluster=cluster, exclude=exclude)
    t_val = df[time].to_numpy(dtype=float)
    g = df["_g"].to_numpy()
    # cohorts first treated after the sample are never treated within it (as in R did)
    g = np.where(g > t_val.max(), np.inf, g)
    # cohorts treated in the first period have no pre-period: drop them (as R did / fixest)
    first = t_val.min()
    keep = ~(np.isfinite(g) & (g <= first))
    if control_group == "last_treated":
        g_last = np.max(g[np.isfinite(g)])
        keep &= t_val < g_last
        g = np.where(g == g_last, np.inf, g)  # the last cohort becomes the comparison group
    df, t_val, g = df.loc[keep], t_val[keep], g[keep]
    if not np.isinf(g).any():
        raise ValueError("no comparison units: Sun-Abraham needs never-treated or a last-treated cohort")
    treated = np.isfinite(g)
    rel = np.where(treated, t_val - np.where(treated, g, 0), np.nan)
    if window is not None:
        lo, hi = window
        ok = ~treated | ((rel >= lo) & (rel <= hi))
        df, t_val, g, rel, treated = df.loc[ok], t_val[ok], g[ok], rel[ok], treated[ok]
    cells = (pd.DataFrame({"g": g[treated], "e": rel[treated]}).value_counts()
             .rename("n_obs").reset_index().sort_values(["g", "e"]))
    cells = cells[cells["e"] != base].reset_index(drop=True)
    cols = {}
    for gg, ee in zip(cells["g"], cells["e"]):
        cols[f"g{gg:g}:{_rel_label(int(ee))}"] = ((g == gg) & (rel == ee)).astype(float)
    df = pd.concat([df.drop(columns=[c for c in cols if c in df.columns]),
                    pd.DataFrame(cols, index=df.index)], axis=1)
    names = list(cols)
    res, _, _ = fit_fe_ols(df, y=y, regressors=[*names, *controls], fe=[entity, time],
                           cluster=cluster, model="Sun-Abraham")
    cells["term"] = names
    cells["estimate"] = res.params[names].to_numpy()
    cells["std_error"] = res.bse[names].to_numpy()
    Vd = res.cov.loc[names, names].to_numpy()
    es = np.sort(cells["e"].unique())
    W = np.zeros((len(es), len(names)))
    for i, e in enumerate(es):
        m = (cells["e"] == e).to_numpy()
        W[i, m] = cells.loc[m, "n_obs"].to_numpy() / cells.loc[m, "n_obs"].sum()
    post = (cells["e"] >= 0).to_numpy()
    w_att = np.where(post, cells["n_obs"].to_numpy(), 0.0)
    w_att = w_att / w_att.sum()
    delta = cells["estimate"].to_numpy()
    beta = W @ delta
    V = W @ Vd @ W.T
    labels = [_rel_label(int(e)) for e in es]
    att, att_se = float(w_att @ delta), float(np.sqrt(w_att @ Vd @ w_att))
    out = SunAbrahamResult(
        params=pd.Series(beta, index=labels), bse=pd.Series(np.sqrt(np.diag(V)), index=labels),
        nobs=res.nobs, model="Sun-Abraham IW event study", df_resid=res.df_resid,
        stats={**res.stats, ATT: att, ATT_SE: att_se},
        info={**res.info, "control_group": control_group, "n_excluded": n_excl, "n_dropped_na": n_na,
              "weights": pd.DataFrame(W, index=labels, columns=names),
              "controls": {c: (res.params[c], res.bse[c]) for c in controls}},
        cov=pd.DataFrame(V, index=labels, columns=labels),
        relative_times=tuple(int(e) for e in es), base=base, catt=cells,
    )
    if out.lead_terms:
        pt = out.pretrend_test()
        object.__setattr__(out, "stats", {**out.stats, PRETREND_F: pt["F"], PRETREND_P: pt["p_value"]})
    return out


# ---------------------------------------------------------------- Goodman-Bacon (2021)


@dataclass(frozen=True)
class BaconResult(EstimationResult):
    """TWFE coefficient (``params["did"]``) and its 2x2 components (``components``)."""

    components: pd.DataFrame = field(default_factory=pd.DataFrame)

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted average estimate per comparison type."""
        c = self.components
        agg = c.groupby("type").apply(
            lambda d: pd.Series({"weight": d["weight"].sum(),
                                 "estimate": np.average(d["estimate"], weights=d["weight"])
                                 if d["weight"].sum() > 0 else np.nan}),
            include_groups=False,
        )
        return agg.reset_index()

    def plot(self, ax=None):
        """Scatter of 2x2 estimates against their weights, by comparison type."""
        from analysis.estimators.did_core import new_figure

        if ax is None:
            fig, ax = new_figure((6, 3.6))
        else:
            fig = ax.figure
        for i, (t, d) in enumerate(self.components.groupby("type")):
            ax.scatter(d["weight"], d["estimate"], label=t, color=f"C{i}")
        ax.axhline(float(self.params["did"]), color="grey", ls="--", lw=0.8, label="TWFE")
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 DID estimate")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def _mean_window(Yg: np.ndarray, cols: np.ndarray) -> float:
    return float(Yg[:, cols].mean()) if cols.any() else np.nan


def bacon_decomposition(data: pd.DataFrame, *, y: str, entity: str, time: str,
                        cohort: str) -> BaconResult:
    """Goodman-Bacon (2021, J. Econometrics) decomposition of the TWFE DID coefficient.

    With timing groups k (first treated period t_k; never-treated U with Dbar = 0, always-treated
    with Dbar = 1), ``beta_TWFE = sum_{k != l} s_kl beta_kl`` over the 2x2 DIDs:
    treated vs never treated (all periods), earlier vs later treated (periods before t_l) and
    later vs earlier treated (periods from t_k on, the "forbidden" comparison that uses already
    treated units as controls), plus later vs always treated. Weights (eq. 10a-c):
    ``s_kl^k = ((n_k+n_l)(1-Dbar_l))^2 n_kl(1-n_kl) (Dbar_k-Dbar_l)/(1-Dbar_l) (1-Dbar_k)/(1-Dbar_l) / V^D``,
    ``s_kl^l = ((n_k+n_l) Dbar_k)^2 n_kl(1-n_kl) (Dbar_l/Dbar_k) (Dbar_k-Dbar_l)/Dbar_k / V^D``,
    with n_k the group's share of units, Dbar_k its share of treated periods, n_kl = n_k/(n_k+n_l)
    and V^D the variance of the two-way demeaned treatment. Requires a balanced panel and no
    covariates (the decomposition is exact then: the weights sum to one and reproduce the TWFE
    coefficient, which the result checks).
    """
    check_columns(data, [y, entity, time, cohort], numeric=[y, time], no_nan=[entity, time, y])
    check_unique_panel(data, entity, time)
    g_row = cohort_values(data, cohort)
    check_cohort_constant(data, entity, g_row, cohort)
    units, uc = np.unique(data[entity].to_numpy(), return_inverse=True)
    periods = np.sort(np.unique(data[time].to_numpy(dtype=float)))
    tc = np.searchsorted(periods, data[time].to_numpy(dtype=float))
    if len(data) != len(units) * len(periods):
        raise ValueError(
            f"the Goodman-Bacon decomposition needs a balanced panel: {len(data)} rows for "
            f"{len(units)} units x {len(periods)} periods; keep units observed in every period"
        )
    N, T = len(units), len(periods)
    Y = np.empty((N, T))
    Y[uc, tc] = data[y].to_numpy(dtype=float)
    G = np.full(N, np.inf)
    G[uc] = g_row
    G = np.where(G <= periods[0], periods[0], G)  # always treated
    G = np.where(G > periods[-1], np.inf, G)
    D = (periods[None, :] >= G[:, None]).astype(float)
    Dt = D - D.mean(1, keepdims=True) - D.mean(0, keepdims=True) + D.mean()
    VD = float(np.mean(Dt**2))
    if VD <= 0:
        raise ValueError("treatment has no variation after removing unit and period effects")
    Yt = Y - Y.mean(1, keepdims=True) - Y.mean(0, keepdims=True) + Y.mean()
    beta_twfe = float(np.sum(Dt * Yt) / np.sum(Dt**2))

    groups = np.unique(G)  # sorted: earliest first, inf (never) last
    n_share = {gv: float(np.mean(G == gv)) for gv in groups}
    dbar = {gv: float(np.mean(periods >= gv)) for gv in groups}
    rows = []
    for i, k in enumerate(groups):
        for l in groups[i + 1:]:
            Dk, Dl = dbar[k], dbar[l]
            if Dk == Dl:
                continue
            nk, nl = n_share[k], n_share[l]
            nkl = nk / (nk + nl)
            Yk, Yl = Y[G == k], Y[G == l]
            never_l, always_k = np.isinf(l), Dk == 1.0
            # k treated, l as control, periods before l is treated
            if not always_k:
                s = ((nk + nl) * (1 - Dl)) ** 2 * nkl * (1 - nkl) * (Dk - Dl) / (1 - Dl) \
                    * (1 - Dk) / (1 - Dl) / VD
                win = periods < l
                post, pre = win & (periods >= k), win & (periods < k)
                b = (_mean_window(Yk, post) - _mean_window(Yk, pre)) \
                    - (_mean_window(Yl, post) - _mean_window(Yl, pre))
                typ = "Treated vs Never treated" if never_l else "Earlier vs Later Treated"
                rows.append((typ, k, l, b, s))
            # l treated, k (already treated) as control, periods from k's treatment on
            if not never_l:
                s = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * (Dk - Dl) / Dk / VD
                win = periods >= k
                post, pre = win & (periods >= l), win & (periods < l)
                b = (_mean_window(Yl, post) - _mean_window(Yl, pre)) \
                    - (_mean_window(Yk, post) - _mean_window(Yk, pre))
                typ = "Later vs Always Treated" if always_k else "Later vs Earlier Treated"
                rows.append((typ, l, k, b, s))
    comp = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    recon = float(comp["weight"] @ comp["estimate"])
    if not np.isclose(recon, beta_twfe, atol=1e-8, rtol=1e-6) or not np.isclose(comp["weight"].sum(), 1.0):
        raise ValueError(  # pragma: no cover - would be a bug, not bad input
            f"internal check failed: weighted 2x2 sum {recon} != TWFE {beta_twfe}"
        )
    return BaconResult(
        params=pd.Series({"did": beta_twfe}), bse=pd.Series({"did": np.nan}), nobs=N * T,
        model="Goodman-Bacon decomposition",
        stats={SUM_WEIGHTS: float(comp["weight"].sum()),
               FORBIDDEN_WEIGHT: float(
                   comp.loc[comp["type"] == "Later vs Earlier Treated", "weight"].sum()
                   + comp.loc[comp["type"] == "Later vs Always Treated", "weight"].sum())},
        info={"V_D": VD, "reconstructed": recon},
        components=comp,
    )
