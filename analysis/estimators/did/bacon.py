"""Goodman-Bacon (2021): decomposition of the TWFE DID coefficient (public API in `analysis.estimators.did`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.did.core import check_columns, checked_cohorts
from analysis.estimators.inputs import DEFAULT_MISSING, drop_missing
from analysis.estimators.statistics import FORBIDDEN_WEIGHT, SUM_WEIGHTS


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
        from analysis.estimators.did.core import new_figure

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
                        cohort: str, missing: str = DEFAULT_MISSING) -> BaconResult:
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
    coefficient, which the result checks). ``missing="drop"`` (default) drops rows missing ``y`` or a key
    (warning, count in ``info["n_dropped_na"]``; the panel must stay balanced), ``"raise"`` refuses them.
    """
    check_columns(data, [y, entity, time, cohort], numeric=[y, time], who="bacon_decomposition")
    data, n_na = drop_missing(data, [y, entity, time], missing=missing, who="bacon_decomposition")
    g_row = checked_cohorts(data, entity, time, cohort)
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
        info={"V_D": VD, "reconstructed": recon, "n_dropped_na": n_na},
        components=comp,
    )
