"""Sun and Abraham (2021): the interaction-weighted event study (public API in `analysis.estimators.did`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.did.core import fit_fe_ols, prepare_cohort_panel
from analysis.estimators.inputs import DEFAULT_MISSING
from analysis.estimators.did.twfe import EventStudyResult, _rel_label
from analysis.estimators.statistics import ATT, ATT_SE, PRETREND_F, PRETREND_P


@dataclass(frozen=True)
class SunAbrahamResult(EventStudyResult):
    """Event-time IW estimates (``params``) plus the cohort x event-time CATT table (``catt``)."""

    catt: pd.DataFrame = field(default_factory=pd.DataFrame)


def sun_abraham(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                control_group: str = "never_treated", base: int = -1,
                window: tuple[int, int] | None = None, controls: Sequence[str] = (),
                cluster: str | None = None, exclude: Any = None,
                missing: str = DEFAULT_MISSING) -> SunAbrahamResult:
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
    variance ``w' V_delta w`` (as fixest); ``V_delta`` is HC1 or CR1 exactly as `fit_twfe_did`.
    ``window=(lo, hi)`` drops treated-unit rows outside the window (no binning: binning would
    re-mix cohorts). With
    never-treated controls, a balanced panel and no covariates, ``delta_{g,e}`` equals Callaway and
    Sant'Anna's ATT(g, g+e) with a universal base period (checked in the tests). ``missing`` as in
    `fit_twfe_did` (count in ``info["n_dropped_na"]``).
    """
    if control_group not in ("never_treated", "last_treated"):
        raise ValueError("control_group must be 'never_treated' or 'last_treated'")
    controls = list(controls)
    df, n_excl, n_na = prepare_cohort_panel(data, y=y, entity=entity, time=time, cohort=cohort,
                                            controls=controls, cluster=cluster, exclude=exclude,
                                            missing=missing, who="sun_abraham")
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
    res, _ = fit_fe_ols(df, y=y, regressors=[*names, *controls], fe=[entity, time],
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
