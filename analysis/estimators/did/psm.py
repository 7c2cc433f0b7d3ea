"""Propensity-score matching followed by TWFE DID (PSM-DID, study 002 Table 4).

Public API in `analysis.estimators.did`."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.did.core import apply_exclude, check_binary, check_columns, check_unique_panel
from analysis.estimators.did.twfe import fit_twfe_did
from analysis.estimators.inputs import DEFAULT_MISSING, drop_missing
from analysis.estimators.statistics import (
    MEAN_ABS_BIAS_AFTER,
    MEAN_ABS_BIAS_BEFORE,
    N_MATCHED_CONTROL,
    N_MATCHED_TREATED,
    N_UNMATCHED_TREATED,
)


@dataclass(frozen=True)
class PSMDIDResult(EstimationResult):
    """TWFE DID on the matched sample, with the balance table and the matched rows."""

    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    matched: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plot_balance(self, ax=None):
        """Standardised bias of each covariate before and after matching (dot plot)."""
        from analysis.estimators.did.core import new_figure

        b = self.balance
        if ax is None:
            fig, ax = new_figure((6, 0.5 * len(b) + 1.5))
        else:
            fig = ax.figure
        pos = np.arange(len(b))
        ax.scatter(b["std_bias_before"], pos, label="unmatched", marker="o")
        ax.scatter(b["std_bias_after"], pos, label="matched", marker="x")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(pos)
        ax.set_yticklabels(b["covariate"])
        ax.set_xlabel("standardised % bias")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def _propensity(X: np.ndarray, d: np.ndarray, link: str, names: Sequence[str]) -> np.ndarray:
    import statsmodels.api as sm

    Xc = sm.add_constant(X, has_constant="add")
    model = sm.Logit(d, Xc) if link == "logit" else sm.Probit(d, Xc)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation is diagnosed below with a clear error
            fit = model.fit(disp=0, maxiter=200)
    except Exception as err:  # statsmodels raises several types (singular, separation)
        raise ValueError(
            f"the {link} propensity model failed ({err}); check the covariates {list(names)} for "
            f"collinearity or perfect prediction of treatment"
        ) from err
    p = np.asarray(fit.predict(Xc))
    if not np.all(np.isfinite(p)) or np.any((p < 1e-10) | (p > 1 - 1e-10)):
        raise ValueError(
            f"the {link} propensity model separates treated and controls perfectly on "
            f"{list(names)}; drop or coarsen covariates, or use matching='pooled'"
        )
    return p


def _match(p_t: np.ndarray, p_c: np.ndarray, *, k: int, caliper: float | None, replace: bool,
           rng: np.random.Generator) -> list[np.ndarray]:
    """Indices (into the controls) of the k nearest neighbours of each treated score."""
    dist = np.abs(p_t[:, None] - p_c[None, :])
    # random jitter only breaks exact ties, reproducibly
    dist = dist + rng.random(dist.shape) * 1e-12
    out: list[np.ndarray] = [np.empty(0, dtype=int)] * len(p_t)
    if replace:
        kk = min(k, len(p_c))
        idx = np.argpartition(dist, kk - 1, axis=1)[:, :kk]
        for i in range(len(p_t)):
            j = idx[i][np.argsort(dist[i, idx[i]])]
            if caliper is not None:
                j = j[dist[i, j] <= caliper]
            out[i] = j
        return out
    available = np.ones(len(p_c), dtype=bool)
    for i in rng.permutation(len(p_t)):  # greedy matching in random order
        if not available.any():
            break
        cand = np.flatnonzero(available)
        order = cand[np.argsort(dist[i, cand])][:k]
        if caliper is not None:
            order = order[dist[i, order] <= caliper]
        available[order] = False
        out[i] = order
    return out


def _std_bias(mt, mc, vt, vc):
    denom = np.sqrt((vt + vc) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (mt - mc) / denom


def psm_did(data: pd.DataFrame, *, y: str, treat: str, entity: str, time: str,
            match_on: Sequence[str], controls: Sequence[str] | None = None, link: str = "logit",
            n_neighbors: int = 1, caliper: float | None = None, replace: bool = True,
            matching: str = "pooled", cluster: str | None = None, exclude: Any = None,
            seed: int | None = None, missing: str = DEFAULT_MISSING) -> PSMDIDResult:
    """PSM-DID: match treated-group city-years to control city-years on the propensity score,
    then estimate the TWFE DID of `fit_twfe_did` on the matched sample.

    1. Group: ``Treat_i = max_t treat_it`` (ever treated). Propensity ``P(Treat_i = 1 | X_it)`` of the
       ``match_on`` covariates by ``link`` = logit or probit, on all city-years (``matching="pooled"``)
       or period by period (``matching="year"``: the year-by-year matching common in the Chinese DID
       literature).
    2. Each treated row gets its ``n_neighbors`` nearest control rows on the score (absolute
       distance), optionally within ``caliper`` (in propensity-score units, as psmatch2), with or
       without replacement (without: greedy, treated rows in random order from ``seed``).
    3. DID: TWFE on the matched sample, i.e. treated rows with at least one match plus the control
       rows used at least once, each once, unweighted (Stata ``reghdfe ... if _weight != .``), with
       ``controls`` as regressors (default: the ``match_on`` covariates).

    Balance table (psmatch2 ``pstest`` convention): standardised % bias ``100 (m_T - m_C) /
    sqrt((v_T + v_C)/2)`` with the unmatched sample's variances in both columns; after matching,
    control means weight each control by its match frequency (1/k per match); Welch t-test p-values
    before, and after on the matched rows with those frequency weights; % reduction in |bias|.

    ``missing="drop"`` (default) drops rows missing ``y``, ``treat``, a matching covariate, a control, a key
    or the cluster before matching (warning, count in ``info["n_dropped_na"]``); ``"raise"`` refuses them.
    """
    if link not in ("logit", "probit"):
        raise ValueError(f"link must be 'logit' or 'probit', got {link!r}")
    if matching not in ("pooled", "year"):
        raise ValueError(f"matching must be 'pooled' or 'year', got {matching!r}")
    if int(n_neighbors) < 1:
        raise ValueError("n_neighbors must be >= 1")
    if caliper is not None and caliper <= 0:
        raise ValueError("caliper must be positive (propensity-score units) or None")
    match_on = list(match_on)
    if not match_on:
        raise ValueError("psm_did needs at least one matching covariate")
    controls = match_on if controls is None else list(controls)
    check_columns(data, [y, treat, entity, time, *match_on, *controls, cluster],
                  numeric=[y, treat, time, *match_on, *controls], who="psm_did")
    df, n_excl = apply_exclude(data, exclude)
    df, n_na = drop_missing(df, [y, treat, entity, time, *match_on, *controls, cluster], missing=missing,
                            who="psm_did")
    check_binary(df, treat)
    check_unique_panel(df, entity, time)
    df = df.copy()
    df["_group"] = df.groupby(entity)[treat].transform("max").astype(float)
    if df["_group"].nunique() < 2:
        raise ValueError("psm_did needs both ever-treated and never-treated units")
    rng = np.random.default_rng(seed)
    df = df.reset_index(drop=True)
    pscore = np.full(len(df), np.nan)
    weight = np.zeros(len(df))
    group = df["_group"].to_numpy()
    strata = ([np.arange(len(df))] if matching == "pooled"
              else [np.flatnonzero(df[time].to_numpy() == t) for t in np.sort(df[time].unique())])
    for pos in strata:
        if len(np.unique(group[pos])) < 2:
            continue
        p = _propensity(df[match_on].to_numpy(float)[pos], group[pos].astype(float), link, match_on)
        pscore[pos] = p
        is_t = group[pos] == 1
        t_pos, c_pos = pos[is_t], pos[~is_t]
        matches = _match(p[is_t], p[~is_t], k=n_neighbors, caliper=caliper, replace=replace, rng=rng)
        for ti, m in zip(t_pos, matches):
            if len(m):
                weight[ti] += 1.0
                np.add.at(weight, c_pos[m], 1.0 / len(m))
    df["_pscore"], df["_weight"] = pscore, weight
    matched = df[df["_weight"] > 0]
    if matched["_group"].nunique() < 2:
        raise ValueError("no treated row found a match; widen the caliper or use replace=True")

    # ---- balance table
    from scipy.stats import ttest_ind as ttest_ind_welch
    from statsmodels.stats.weightstats import ttest_ind

    rows = []
    T_all, C_all = df[df["_group"] == 1], df[df["_group"] == 0]
    T_m, C_m = matched[matched["_group"] == 1], matched[matched["_group"] == 0]
    for c in [*match_on, "_pscore"]:
        mt, mc = T_all[c].mean(), C_all[c].mean()
        vt, vc = T_all[c].var(ddof=1), C_all[c].var(ddof=1)
        mt_a = T_m[c].mean()
        mc_a = np.average(C_m[c], weights=C_m["_weight"])
        b0, b1 = _std_bias(mt, mc, vt, vc), _std_bias(mt_a, mc_a, vt, vc)
        rows.append({
            "covariate": "pscore" if c == "_pscore" else c,
            "mean_treated_before": mt, "mean_control_before": mc,
            "mean_treated_after": mt_a, "mean_control_after": mc_a,
            "std_bias_before": b0, "std_bias_after": b1,
            "bias_reduction_pct": 100.0 * (1 - abs(b1) / abs(b0)) if b0 != 0 else np.nan,
            "p_before": float(ttest_ind_welch(T_all[c], C_all[c], equal_var=False).pvalue),
            "p_after": float(ttest_ind(T_m[c].to_numpy(), C_m[c].to_numpy(), usevar="unequal",
                                       weights=(None, C_m["_weight"].to_numpy()))[1]),
        })
    balance = pd.DataFrame(rows)
    res = fit_twfe_did(matched, y=y, treat=treat, entity=entity, time=time, controls=controls,
                       cluster=cluster)
    n_t_rows = int((df["_group"] == 1).sum())
    return PSMDIDResult(
        params=res.params, bse=res.bse, nobs=res.nobs, model="PSM-DID", df_resid=res.df_resid,
        stats={**res.stats, N_MATCHED_TREATED: int(len(T_m)),
               N_UNMATCHED_TREATED: int(n_t_rows - len(T_m)),
               N_MATCHED_CONTROL: int(len(C_m)),
               MEAN_ABS_BIAS_BEFORE: float(balance["std_bias_before"].iloc[:-1].abs().mean()),
               MEAN_ABS_BIAS_AFTER: float(balance["std_bias_after"].iloc[:-1].abs().mean())},
        info={**res.info, "link": link, "matching": matching, "n_neighbors": n_neighbors, "caliper": caliper,
              "replace": replace, "seed": seed, "match_on": match_on, "n_excluded": n_excl,
              "n_dropped_na": n_na},
        cov=res.cov, balance=balance,
        matched=matched.rename(columns={"_pscore": "pscore", "_weight": "match_weight",
                                        "_group": "treated_group"}),
    )
