"""TWFE DID, event study and the vectorised placebo (public API in `analysis.estimators.did`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.statistics import (
    N_DRAWS,
    N_UNITS,
    PLACEBO_MEAN,
    PLACEBO_P,
    PLACEBO_SD,
    PRETREND_F,
    PRETREND_P,
)

from analysis.estimators.base import EstimationResult
from analysis.estimators.draws import DRAWS_PER_CHUNK, run_draws
from analysis.estimators.did.core import (
    apply_exclude,
    prepare_cohort_panel,
    check_binary,
    check_columns,
    check_unique_panel,
    fit_fe_ols,
)
from analysis.estimators.fixed_effects import cluster_sums, factorize, resolve_vcov, small_sample
from analysis.estimators.inputs import DEFAULT_MISSING, drop_missing


# ---------------------------------------------------------------- shared helpers


def lag_within(data: pd.DataFrame, col: str, *, entity: str, time: str, lag: int) -> pd.Series:
    """``col`` of the same unit ``lag`` periods earlier (NaN where that period is not observed)."""
    src = data[[entity, time, col]].copy()
    src[time] = src[time] + lag
    merged = data[[entity, time]].merge(src, on=[entity, time], how="left")
    return pd.Series(merged[col].to_numpy(), index=data.index)


def _rel_label(r: int) -> str:
    return "t" if r == 0 else f"t{r:+d}"


# ---------------------------------------------------------------- TWFE DID


def fit_twfe_did(data: pd.DataFrame, *, y: str, treat: str, entity: str, time: str,
                 controls: Sequence[str] = (), cluster: str | None = None, lag: int = 0,
                 exclude: Any = None, missing: str = DEFAULT_MISSING) -> EstimationResult:
    """Staggered two-way fixed-effects DID.

    ``y_it = beta D_i,t-lag + X_it' gamma + alpha_i + lambda_t + e_it`` with ``D_it = Treat_i x Post_it``
    (the 0/1 column ``treat``). Estimated by OLS after the within transformation for unit and period
    effects (numerically identical to pyfixest ``feols("y ~ D + X | entity + time")``).

    Conventions that change numbers
    -------------------------------
    * ``cluster=None``: HC1 robust SE with the FE counted in K (what "robust standard errors" of the
      studies most literally means); ``cluster="city"``: CR1 (pyfixest's CRV1) with the ``nonnested``
      small-sample correction and t(G-1) inference (see `analysis.estimators.fixed_effects`). Stata's ``xtreg, fe robust``
      clusters by the panel unit, so pass ``cluster=entity`` to reproduce that.
    * ``lag=k`` uses the unit's treatment k periods earlier (study 002's ``didT-1``); the first k
      periods of each unit have no lag and drop out (as in Stata's ``L.did``).
    * ``exclude`` drops rows before estimation (boolean column, boolean mask, or ``{col: values}``),
      e.g. study 002's exclusion of other pilot policies and municipalities.
    * ``missing="drop"`` (default) drops rows missing ``y``, ``treat``, a control, a key or the cluster,
      listwise, with a warning and the count in ``info["n_dropped_na"]``; ``"raise"`` refuses them
      (``analysis.estimators.inputs``). The lag is taken before that, so a row whose outcome is missing still
      gives its treatment to the next period; rows without a lagged treatment are ``info["n_no_lag"]``.

    Reference: the TWFE DID of studies 002 and 004; Goodman-Bacon (2021) for what it averages.
    """
    controls = list(controls)
    check_columns(data, [y, treat, entity, time, *controls, cluster],
                  numeric=[y, treat, time, *controls], who="fit_twfe_did")
    if not isinstance(lag, (int, np.integer)) or lag < 0:
        raise ValueError(f"lag must be a non-negative integer, got {lag!r}")
    df, n_excl = apply_exclude(data, exclude)
    check_unique_panel(df, entity, time)
    term = treat
    if lag:
        term = f"{treat}_L{lag}"
        df = df.assign(**{term: lag_within(df, treat, entity=entity, time=time, lag=lag)})
    df, n_na = drop_missing(df, [y, treat, entity, time, *controls, cluster], missing=missing, who="fit_twfe_did")
    check_binary(df, treat)
    has_lag = df[term].notna().to_numpy()
    df, n_no_lag = df.loc[has_lag], int((~has_lag).sum())
    if df[term].nunique() < 2:
        raise ValueError(f"treatment '{term}' does not vary in the estimation sample")
    res, _ = fit_fe_ols(
        df, y=y, regressors=[term, *controls], fe=[entity, time], cluster=cluster,
        model="TWFE-DID",
        info={"entity": entity, "time": time, "lag": lag, "n_excluded": n_excl,
              "n_dropped_na": n_na, "n_no_lag": n_no_lag, "treated_share": float(df[term].mean())},
        extra_stats={N_UNITS: int(df[entity].nunique())},
    )
    return res


# ---------------------------------------------------------------- event study


@dataclass(frozen=True)
class EventStudyResult(EstimationResult):
    """Relative-time coefficients (base period normalised to 0) with a joint pre-trend test."""

    relative_times: tuple = ()
    base: int = -1

    @property
    def lead_terms(self) -> list[str]:
        return [t for t, r in zip(self.params.index, self.relative_times) if r < 0]

    def pretrend_test(self) -> dict[str, float]:
        """Joint Wald test that all pre-period (lead) coefficients are zero."""
        return self.wald_test(self.lead_terms)

    def coefficients(self, alpha: float = 0.05) -> pd.DataFrame:
        """Plot-ready frame: rel_time, estimate, conf_low, conf_high (base period row = 0)."""
        ci = self.conf_int(alpha)
        out = pd.DataFrame({"rel_time": list(self.relative_times), "estimate": self.params.values,
                            "std_error": self.bse.values, "conf_low": ci["lower"].values,
                            "conf_high": ci["upper"].values})
        base = pd.DataFrame({"rel_time": [self.base], "estimate": [0.0], "std_error": [0.0],
                             "conf_low": [0.0], "conf_high": [0.0]})
        return pd.concat([out, base]).sort_values("rel_time").reset_index(drop=True)

    def plot(self, ax=None, alpha: float = 0.05, title: str | None = None):
        """Coefficients with (1-alpha) intervals, dashed zero line and a marker at the base period."""
        from analysis.estimators.did.core import new_figure

        co = self.coefficients(alpha)
        if ax is None:
            fig, ax = new_figure((6, 3.6))
        else:
            fig = ax.figure
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.axvline(self.base + 0.5, color="grey", lw=0.8, ls=":")
        ax.plot(co["rel_time"], co["estimate"], "o-", color="C0", label="estimate")
        ax.plot(co["rel_time"], co["conf_low"], "--", color="C0", lw=0.8,
                label=f"{int(round(100 * (1 - alpha)))}% CI")
        ax.plot(co["rel_time"], co["conf_high"], "--", color="C0", lw=0.8)
        ax.set_xticks(co["rel_time"].tolist())
        ax.set_xticklabels([_rel_label(int(r)) for r in co["rel_time"]])
        ax.set_xlabel("period relative to treatment")
        ax.set_ylabel("coefficient")
        pt = self.pretrend_test() if self.lead_terms else None
        if title is None and pt is not None:
            title = f"pre-trend F = {pt['F']:.2f}, p = {pt['p_value']:.3f}"
        if title:
            ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def event_study(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                window: tuple[int, int] = (-4, 2), base: int = -1, bin_endpoints: bool = True,
                controls: Sequence[str] = (), cluster: str | None = None,
                exclude: Any = None, missing: str = DEFAULT_MISSING) -> EventStudyResult:
    """Dynamic TWFE event study with relative-time dummies.

    ``y_it = sum_{r in window, r != base} beta_r 1[t - G_i = r] + X_it' gamma + alpha_i + lambda_t + e_it``
    where ``G_i`` is the first treated period (``cohort``; 0/NaN = never treated, whose dummies are
    all zero). Study 002 uses the window t-4..t+2 and base period t-1.

    Conventions that change numbers
    -------------------------------
    * ``bin_endpoints=True`` (default): relative times beyond the window are binned into the end
      points (``r <= -4`` into t-4, ``r >= 2`` into t+2), Schmidheiny and Siegloch (2023). With
      ``False`` the treated-unit rows outside the window are dropped.
    * The ``base`` period's dummy is omitted, so every beta_r is relative to it.
    * Variance as in `fit_twfe_did` (HC1 if ``cluster`` is None, CR1 otherwise); the pre-trend test
      is the joint Wald F of all lead coefficients with ``df_resid`` denominator df.
    * ``missing`` as in `fit_twfe_did` (count in ``info["n_dropped_na"]``).
    """
    controls = list(controls)
    lo, hi = window
    if not (lo <= base <= hi) or lo >= hi:
        raise ValueError(f"window {window} must satisfy lo < hi and contain the base period {base}")
    df, n_excl, n_na = prepare_cohort_panel(data, y=y, entity=entity, time=time, cohort=cohort,
                                            controls=controls, cluster=cluster, exclude=exclude,
                                            missing=missing, who="event_study")
    g = df["_g"].to_numpy()
    treated = np.isfinite(g)
    rel = np.where(treated, df[time].to_numpy(dtype=float) - np.where(treated, g, 0.0), np.nan)
    if bin_endpoints:
        rel = np.where(treated, np.clip(rel, lo, hi), np.nan)
    else:
        keep = ~treated | ((rel >= lo) & (rel <= hi))
        df, rel, treated = df.loc[keep], rel[keep], treated[keep]
    rel_times = [r for r in range(lo, hi + 1) if r != base]
    dummies = {}
    for r in rel_times:
        dummies[_rel_label(r)] = (treated & (rel == r)).astype(float)
    empty = [k for k, v in dummies.items() if v.sum() == 0]
    if empty:
        raise ValueError(f"no treated observations at relative period(s) {empty}; narrow the window")
    df = df.assign(**dummies)
    res, _ = fit_fe_ols(
        df, y=y, regressors=[*dummies, *controls], fe=[entity, time], cluster=cluster,
        model="Event study (TWFE)",
        info={"window": window, "base": base, "bin_endpoints": bin_endpoints,
              "n_excluded": n_excl, "n_dropped_na": n_na},
    )
    names = list(dummies)
    # keep only the event-time terms in the headline params; controls stay in info
    ctrl = {c: (res.params[c], res.bse[c]) for c in controls}
    es = EventStudyResult(
        params=res.params[names], bse=res.bse[names], nobs=res.nobs, model=res.model,
        df_resid=res.df_resid, stats=dict(res.stats),
        info={**res.info, "controls": ctrl}, cov=res.cov.loc[names, names],
        relative_times=tuple(rel_times), base=base,
    )
    pt = es.pretrend_test()
    object.__setattr__(es, "stats", {**es.stats, PRETREND_F: pt["F"], PRETREND_P: pt["p_value"]})
    return es


# ---------------------------------------------------------------- placebo


@dataclass(frozen=True)
class PlaceboResult(EstimationResult):
    """The sample estimate (TWFE on the real assignment) plus the distribution of estimates under random
    reassignment."""

    draws: pd.DataFrame = field(default_factory=pd.DataFrame)
    reassign: str = "units"

    @property
    def estimate(self) -> float:
        return float(self.params.iloc[0])

    @property
    def p_value_two_sided(self) -> float:
        """Share of placebo estimates at least as large in absolute value as the true one."""
        b = self.draws["estimate"].dropna().to_numpy()
        return float(np.mean(np.abs(b) >= abs(self.estimate)))

    @property
    def p_value_left(self) -> float:
        """Share of placebo estimates at or below the true one (one-sided, for a negative effect)."""
        b = self.draws["estimate"].dropna().to_numpy()
        return float(np.mean(b <= self.estimate))

    def plot(self, ax=None, bins: int = 40, title: str | None = None):
        """Histogram and kernel density of placebo estimates with the sample estimate marked."""
        from analysis.estimators.did.core import new_figure
        from scipy.stats import gaussian_kde

        b = self.draws["estimate"].dropna().to_numpy()
        if ax is None:
            fig, ax = new_figure((6, 3.6))
        else:
            fig = ax.figure
        ax.hist(b, bins=bins, density=True, color="C0", alpha=0.35, label="placebo estimates")
        if len(b) > 2 and np.std(b) > 0:
            grid = np.linspace(min(b.min(), self.estimate), max(b.max(), self.estimate), 200)
            ax.plot(grid, gaussian_kde(b)(grid), color="C0")
        ax.axvline(self.estimate, color="C3", ls="--", label=f"sample estimate {self.estimate:.3f}")
        ax.set_xlabel("estimated coefficient")
        ax.set_ylabel("density")
        ax.set_title(title or f"{len(b)} placebo draws ({self.reassign}); "
                              f"p = {self.p_value_two_sided:.3f}", fontsize=9)
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        return fig


def _draw_cohorts(rng: np.random.Generator, n_units: int, true_g: np.ndarray, periods: np.ndarray,
                  reassign: str, size: int) -> np.ndarray:
    """Pseudo first-treatment periods, shape (n_units, size); np.inf = untreated."""
    treated_idx = np.flatnonzero(np.isfinite(true_g))
    m = len(treated_idx)
    out = np.full((n_units, size), np.inf)
    cand_years = periods[1:]  # a pseudo cohort needs at least one pre-period
    for b in range(size):
        if reassign == "units":
            units = rng.choice(n_units, size=m, replace=False)
            out[units, b] = rng.permutation(true_g[treated_idx])
        elif reassign == "timing":
            out[treated_idx, b] = rng.choice(cand_years, size=m, replace=True)
        else:  # both
            units = rng.choice(n_units, size=m, replace=False)
            out[units, b] = rng.choice(cand_years, size=m, replace=True)
    return out


def _single_thread_blas():
    """Tall-skinny products per chunk: one BLAS thread is faster and immune to oversubscription."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        import contextlib

        return contextlib.nullcontext()


@dataclass(frozen=True)
class PlaceboDesign:
    """What every chunk of placebo draws shares (plain data, so a chunk can run in another process): the
    panel's unit codes and periods, the true cohorts, the demeaner of the unit and period effects, the
    demeaned controls (``controls``, ``controls_inv``: residualise on them; None without controls), the
    demeaned outcome ``y_t`` and the covariance convention (``spec``, small-sample factor ``adj``)."""

    n_units: int
    true_g: np.ndarray
    periods: np.ndarray
    reassign: str
    unit_codes: np.ndarray
    t_val: np.ndarray
    demeaner: Any
    controls: np.ndarray | None
    controls_inv: np.ndarray | None
    y_t: np.ndarray
    adj: float
    spec: Any


def placebo_chunk(chunk) -> tuple[np.ndarray, np.ndarray]:
    """(estimates, standard errors) of one chunk of placebo draws (FWL on the pre-demeaned outcome); the
    pseudo cohorts come from the chunk's own generator (``analysis.estimators.draws``)."""
    d: PlaceboDesign = chunk.design
    G_b = _draw_cohorts(chunk.rng(), d.n_units, d.true_g, d.periods, d.reassign, chunk.size)
    with _single_thread_blas():
        D = d.demeaner((d.t_val[:, None] >= G_b[d.unit_codes, :]).astype(float))
        if d.controls is not None:
            D = D - d.controls @ (d.controls_inv @ (d.controls.T @ D))
        dd = np.einsum("ij,ij->j", D, D)
        with np.errstate(divide="ignore", invalid="ignore"):
            b = (D.T @ d.y_t) / dd
            e = d.y_t[:, None] - D * b[None, :]
            if d.spec.kind != "CR1":
                meat = np.einsum("ij,ij->j", D**2, e**2)
            else:
                sc = cluster_sums(D * e, d.spec.cluster_code, d.spec.n_clusters)
                meat = np.einsum("ij,ij->j", sc, sc)
            v = d.adj * meat / dd**2
    bad = dd < 1e-12
    b[bad], v[bad] = np.nan, np.nan
    return b, np.sqrt(v)


def placebo(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
            n_draws: int = 500, reassign: str = "units", seed: int | None = None,
            controls: Sequence[str] = (), cluster: str | None = None, exclude: Any = None,
            chunk_size: int = DRAWS_PER_CHUNK, executor=None, progress: bool = True,
            missing: str = DEFAULT_MISSING) -> PlaceboResult:
    """Placebo test by random reassignment of the staggered treatment (study 002, Figure 3).

    The sample estimate is the TWFE DID ``beta`` of ``D_it = 1[t >= G_i]``. Each draw builds a pseudo
    ``D*_it`` and records its TWFE coefficient, standard error and t statistic:

    * ``reassign="units"``: as many pseudo-treated units as truly treated, drawn without
      replacement; they receive the true cohorts in random order.
    * ``"timing"``: the treated units keep their status; each gets a pseudo first period drawn
      uniformly from the observed periods except the first.
    * ``"both"``: random units and random periods.

    Vectorised by Frisch-Waugh-Lovell: ``y`` and the controls are demeaned for unit and period
    effects once; the pseudo treatments are demeaned as one matrix per chunk and residualised on the
    demeaned controls, so ``beta*_b = (D''_b' y'') / (D''_b' D''_b)`` equals the coefficient of a
    full refit exactly (the tests check this). Standard errors follow `fit_twfe_did`'s convention.
    The draws run in chunks of ``chunk_size``, each with its own generator spawned from ``seed`` by its
    index (``analysis.estimators.draws``), as tasks on ``executor`` (``None``: serially; an
    ``ingestion.executor.Executor`` or a ``distributed.Client``): one seed gives the same draws on any
    executor and any number of workers. The empirical two-sided p-value is the share of draws with ``|beta*| >= |beta|``
    (``p_value_two_sided``), the one-sided ``p_value_left`` the share with ``beta* <= beta``.
    ``missing`` as in `fit_twfe_did` (count in ``info["n_dropped_na"]``).
    """
    if reassign not in ("units", "timing", "both"):
        raise ValueError(f"reassign must be 'units', 'timing' or 'both', got {reassign!r}")
    if int(n_draws) < 1:
        raise ValueError("n_draws must be a positive integer")
    controls = list(controls)
    df, n_excl, n_na = prepare_cohort_panel(data, y=y, entity=entity, time=time, cohort=cohort,
                                            controls=controls, cluster=cluster, exclude=exclude,
                                            missing=missing, who="placebo")
    df = df.assign(_d=(df[time].to_numpy(dtype=float) >= df["_g"].to_numpy()).astype(float))
    if df["_d"].nunique() < 2:
        raise ValueError("the treatment implied by the cohort column does not vary in the sample")
    true, dm = fit_fe_ols(df, y=y, regressors=["_d", *controls], fe=[entity, time],
                          cluster=cluster, model="TWFE-DID placebo")

    # ---- partial out FE and controls once
    unit_codes, n_units = factorize(df[entity].to_numpy())
    t_val = df[time].to_numpy(dtype=float)
    y_t = dm(df[y].to_numpy(dtype=float))
    C_t = CtC_inv = None
    if controls:
        C_t = dm(df[controls].to_numpy(dtype=float))
        CtC_inv = np.linalg.pinv(C_t.T @ C_t)
        y_t = y_t - C_t @ (CtC_inv @ (C_t.T @ y_t))
    # the true fit's covariance convention (HC1 or CR1, same K: one treatment column and the controls)
    spec = resolve_vcov(df, cluster, None)
    if spec.multiway:
        raise ValueError("the placebo draws cluster on one column; pass a single cluster column")
    adj, _ = small_sample(spec.kind, len(df), true.info["df_k"], spec.n_clusters)

    true_g = pd.Series(df["_g"].to_numpy()).groupby(unit_codes).first().to_numpy()
    periods = np.sort(np.unique(t_val))
    design = PlaceboDesign(n_units, true_g, periods, reassign, unit_codes, t_val, dm, C_t, CtC_inv, y_t, adj, spec)
    chunks = run_draws(placebo_chunk, design, n_draws, seed, executor=executor, chunk_size=chunk_size,
                       progress=progress, desc=f"placebo ({reassign})")
    est = np.concatenate([b for b, _ in chunks])
    se = np.concatenate([s for _, s in chunks])
    draws = pd.DataFrame({"estimate": est, "std_error": se, "t": est / se})
    return PlaceboResult(
        params=pd.Series({"did": true.params["_d"]}), bse=pd.Series({"did": true.bse["_d"]}),
        nobs=true.nobs, model="TWFE-DID placebo", df_resid=true.df_resid,
        stats={PLACEBO_P: float(np.mean(np.abs(est[~np.isnan(est)]) >= abs(true.params["_d"]))),
               PLACEBO_MEAN: float(np.nanmean(est)), PLACEBO_SD: float(np.nanstd(est)),
               N_DRAWS: int(n_draws)},
        info={**true.info, "seed": seed, "reassign": reassign, "n_excluded": n_excl,
              "n_dropped_na": n_na, "n_degenerate_draws": int(np.isnan(est).sum())},
        cov=true.cov.loc[["_d"], ["_d"]].rename(index={"_d": "did"}, columns={"_d": "did"}),
        draws=draws, reassign=reassign,
    )
