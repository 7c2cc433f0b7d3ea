"""Hansen (1999) fixed-effect panel threshold regression (single, double, triple thresholds).

Equation (double threshold shown)::

    y_it = mu_i + beta_1 x_it 1(q_it <= g1) + beta_2 x_it 1(g1 < q_it <= g2)
                + beta_3 x_it 1(q_it > g2) + theta' z_it + e_it

Reference: Hansen, B. E. (1999) "Threshold effects in non-dynamic panels: estimation, testing and
inference", *Journal of Econometrics* 93, 345-368; Wang, Q. (2015) "Fixed-effect panel threshold
model using Stata", *Stata Journal* 15(1) (``xthreg``).

Conventions that change the numbers:

* Fixed effects are removed by within-demeaning by entity (the fixed-effects engine,
  ``analysis.estimators.fixed_effects``), for ``y``, the controls and for every candidate regime
  regressor ``x 1(q <= g)`` (Hansen's own code). Balanced panels only (as
  Hansen's bootstrap and ``xthreg`` require). Time effects: add year dummies as ``controls``.
* Grid: the distinct values of ``q``, sorted, at the 1-based positions
  ``floor(j * n_distinct / grid)``, ``j = 1..grid``, keeping candidates with at least
  ``trim * n`` observations on each side. With ``grid=300`` (xthreg's default) this reproduces
  Hansen's published thresholds on his data (0.0157; 0.0157 and 0.5362); ``grid=None``
  searches every distinct value.
* Sequential estimation: stage k fixes the (refined) thresholds of stage k-1 and searches the
  k-th; each later threshold candidate must leave at least ``floor(trim_k * n)`` observations
  between it and every fixed threshold (``trim`` may be one value or one per stage, as
  ``xthreg``'s ``trim(0.01 0.01 0.05)``). With ``refine=True`` each threshold is then
  re-estimated holding the others fixed (Hansen's refinement, section 3.3).
* F statistics: ``F_k = (S_{k-1} - S_k) / sigma2_k`` with ``sigma2_k = S_k / (n (T-1))``, where
  ``S_k`` is the stage-k SSR before refinement and ``S_{k-1}`` the SSR of the fitted (refined)
  (k-1)-threshold model (Hansen's F1, F2, F3).
* Bootstrap: residual vectors of whole entities of the (k-1)-threshold model are drawn with
  replacement and added to its fitted values (regressors and ``q`` held fixed); the whole
  sequential search, refinement included, is redone on every draw. p-value = share of draws
  with ``F* >= F``; critical values are the 90/95/99% quantiles of ``F*``.
  Vectorised: all draws share the demeaned candidate design, so a draw costs one product with
  the Gram matrix of the candidate regressors (no refit per draw). Draws run in chunks of ``chunk``,
  each seeded by its stage and index (``analysis.estimators.draws``): the same on any executor.
* LR confidence sets: ``LR(g) = (S(g) - S(g_hat)) / sigma2`` with the other thresholds fixed at
  their final estimates and ``sigma2`` of the final model; the set ``{g: LR(g) <= c}`` with
  ``c = -2 log(1 - sqrt(level))`` (7.35 at 95%). ``lower``/``upper`` bound the run of
  consecutive grid points around the estimate inside the set; ``set_min``/``set_max`` are the
  extremes of the whole (possibly disjoint) set.
* Regime coefficients: FE-OLS of ``y`` on the controls and ``x`` interacted with each regime,
  entity-clustered CR1 SE (``cluster=None`` gives HC1); see ``analysis.estimators.panel``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.draws import run_draws
from analysis.estimators.fixed_effects import Demeaner, factorize
from analysis.estimators.inputs import DEFAULT_MISSING, check_frame
from analysis.estimators.statistics import threshold_f
from analysis.estimators.panel import fit_fe

__all__ = ["fit_threshold", "ThresholdResult", "threshold_grid", "lr_critical_value"]


@dataclass(frozen=True)
class ThresholdResult(EstimationResult):
    """Regime coefficients plus the threshold inference of Hansen (1999)."""

    thresholds: tuple[float, ...] = ()
    ssr: tuple[float, ...] = ()
    f_stats: tuple[float, ...] = ()
    boot_pvalues: tuple[float, ...] = ()
    crit_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    conf_int_thresholds: pd.DataFrame = field(default_factory=pd.DataFrame)

    def threshold_table(self) -> pd.DataFrame:
        """xthreg-style test table: RSS, MSE, F, bootstrap p-value and critical values per stage."""
        k = len(self.f_stats)
        n_within = self.info["n_within_df"]
        rows = []
        for j in range(k):
            s = self.info["stage_ssr"][j + 1]
            rows.append({"model": ["single", "double", "triple"][j], "RSS": s, "MSE": s / n_within,
                         "F": self.f_stats[j], "p_value": self.boot_pvalues[j],
                         **self.crit_values.iloc[j].to_dict()})
        return pd.DataFrame(rows).set_index("model")

    def summary(self, digits: int = 4) -> str:
        lines = [super().summary(digits), "", "Thresholds (LR confidence set):"]
        lines.append(self.conf_int_thresholds.round(digits).to_string())
        lines.append("")
        lines.append(self.threshold_table().round(digits).to_string())
        return "\n".join(lines)


def lr_critical_value(level: float = 0.95) -> float:
    """Hansen (2000) asymptotic critical value of the LR statistic: -2 log(1 - sqrt(level))."""
    return float(-2.0 * np.log(1.0 - np.sqrt(level)))


def threshold_grid(q: np.ndarray, trim: float, grid: int | None) -> np.ndarray:
    """Candidate thresholds (the convention that reproduces Hansen's published estimates).

    The distinct values of ``q`` are sorted and taken at the 1-based positions
    ``floor(j * n_distinct / grid)``, ``j = 1..grid`` (``grid=None``: every distinct value); a
    candidate is kept if at least ``trim * n`` observations lie on each side of it.
    """
    qv = np.asarray(q, dtype=float)
    u = np.unique(qv)
    nu = u.size
    if grid is None:
        cand = u
    else:
        if grid < 2:
            raise ValueError("grid must be at least 2 (or None for every distinct value)")
        pos = np.floor(np.arange(1, grid + 1) * nu / grid).astype(int) - 1
        cand = np.unique(u[np.clip(pos, 0, nu - 1)])
    below = np.searchsorted(np.sort(qv), cand, side="right")
    need = max(int(np.ceil(trim * qv.size)), 1)
    return cand[(below >= need) & (qv.size - below >= need)]


# ---------------------------------------------------------------------------- vectorised core
class _Search:
    """SSR of every candidate threshold for many dependent vectors at once.

    ``V`` are the candidate regime regressors x 1(q <= g_j), demeaned and residualised on the
    base regressors; ``C = V'V``. For B residualised dependent vectors R, ``Bm = V'R`` and
    ``rr = diag(R'R)``. Fixing thresholds S and adding candidate j gives, by partitioned
    regression, SSR_j = r_S - (Bm_j - C_jS C_SS^-1 Bm_S)^2 / (C_jj - C_jS C_SS^-1 C_Sj).
    """

    def __init__(self, C: np.ndarray, counts: np.ndarray, n: int):
        self.C = C
        self.diag = np.diag(C).copy()
        self.counts = counts
        self.n = n
        self.scale = max(float(self.diag.max()), 1e-300)

    def ssr(self, Bm: np.ndarray, rr: np.ndarray, fixed: np.ndarray, min_count: int) -> np.ndarray:
        """(B, g) SSR for adding each candidate to the thresholds ``fixed`` (B, s)."""
        g, B = Bm.shape
        s = fixed.shape[1]
        if s == 0:
            a = np.broadcast_to(self.diag[:, None], (g, B))
            b = Bm
            r = rr
            valid = np.ones((g, B), dtype=bool)
        else:
            cols = np.arange(B)[:, None]
            CS = self.C[:, fixed]                                  # (g, B, s)
            Css = self.C[fixed[:, :, None], fixed[:, None, :]]     # (B, s, s)
            Cinv = np.linalg.inv(Css)
            Bs = Bm[fixed, cols]                                   # (B, s)
            a = self.diag[:, None] - np.einsum("gbs,bst,gbt->gb", CS, Cinv, CS)
            b = Bm - np.einsum("gbs,bst,bt->gb", CS, Cinv, Bs)
            r = rr - np.einsum("bs,bst,bt->b", Bs, Cinv, Bs)
            dist = np.abs(self.counts[:, None, None] - self.counts[fixed][None, :, :])  # (g, B, s)
            valid = (dist >= max(min_count, 1)).all(axis=2)
        valid = valid & (a > 1e-10 * self.scale)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = r[None, :] - np.where(valid, b * b / np.where(valid, a, 1.0), np.nan)
        out = np.where(valid, out, np.inf)
        return out.T, r

    def sequential(self, Bm, rr, k_max, min_counts, refine):
        """Sequential search on B columns: stage SSRs (B, k_max+1), final SSRs and indices."""
        B = Bm.shape[1]
        rows = np.arange(B)
        fixed = np.zeros((B, 0), dtype=int)
        stage = np.empty((B, k_max + 1))
        final = np.empty((B, k_max + 1))
        stage[:, 0] = final[:, 0] = rr
        path = []
        for k in range(1, k_max + 1):
            curve, _ = self.ssr(Bm, rr, fixed, min_counts[k - 1])
            j = np.argmin(curve, axis=1)
            stage[:, k] = curve[rows, j]
            fixed = np.column_stack([fixed, j])
            if refine and k > 1:
                for i in range(k):
                    others = np.delete(fixed, i, axis=1)
                    c2, _ = self.ssr(Bm, rr, others, min_counts[i])
                    # keep the current value when it is (numerically) as good
                    cur = c2[rows, fixed[:, i]]
                    jj = np.argmin(c2, axis=1)
                    with np.errstate(invalid="ignore"):
                        better = c2[rows, jj] < cur - 1e-12 * np.abs(cur)
                    fixed[:, i] = np.where(better, jj, fixed[:, i])
                final_ssr, _ = self.ssr(Bm, rr, fixed[:, 1:], 0)
                final[:, k] = final_ssr[rows, fixed[:, 0]]
            else:
                final[:, k] = stage[:, k]
            path.append(fixed.copy())
        return stage, final, path


@dataclass(frozen=True)
class BootstrapDesign:
    """What every chunk of one stage's bootstrap shares (plain data, so a chunk can run in another
    process): the (k-1)-threshold fit ``fit0`` and its residuals ``e0`` (N x T, demeaned), the base
    regressors' orthonormal basis ``Q``, the candidate regressors ``V`` and their search, the stage."""

    fit0: np.ndarray
    e0: np.ndarray
    Q: np.ndarray
    V: np.ndarray
    search: _Search
    stage: int
    min_counts: tuple[int, ...]
    refine: bool
    n_within_df: int


def bootstrap_chunk(chunk) -> np.ndarray:
    """F statistics of one chunk of draws: entities resampled with replacement (Hansen's bootstrap), the
    indices from the chunk's own generator (``analysis.estimators.draws``)."""
    d: BootstrapDesign = chunk.design
    N, T = d.e0.shape
    draw = chunk.rng().integers(0, N, size=(chunk.size, N))
    ystar = d.fit0[:, None] + d.e0[draw].reshape(chunk.size, N * T).T        # (n, b)
    R = ystar - d.Q @ (d.Q.T @ ystar)
    Bm = d.V.T @ R
    rr = np.einsum("ij,ij->j", R, R)
    st, fi, _ = d.search.sequential(Bm, rr, d.stage, list(d.min_counts), d.refine)
    k = d.stage
    return (fi[:, k - 1] - st[:, k]) / (st[:, k] / d.n_within_df)


# ---------------------------------------------------------------------------- public API
def fit_threshold(
    data: pd.DataFrame,
    *,
    y: str,
    regime_x: str,
    q: str,
    controls: Sequence[str] = (),
    entity: str,
    time: str,
    n_thresholds: int = 1,
    trim: float | Sequence[float] = 0.01,
    grid: int | None = 300,
    n_boot: int | Sequence[int] = 300,
    seed: int | None = None,
    cluster: str | None = "entity",
    level: float = 0.95,
    refine: bool = True,
    progress: bool = True,
    chunk: int = 100,
    missing: str = DEFAULT_MISSING,
    executor=None,
) -> ThresholdResult:
    """Hansen (1999) panel threshold model with up to three thresholds.

    Parameters
    ----------
    y, regime_x, q : dependent variable, regime-dependent regressor and threshold variable
        (``q`` may equal ``regime_x``).
    controls : regime-independent regressors.
    entity, time : panel keys; the panel must be balanced.
    n_thresholds : 1, 2 or 3; every stage is estimated and tested sequentially.
    trim : trimming share (one value, or one per stage).
    grid : number of quantile grid points (``None``: every distinct value).
    n_boot : bootstrap draws per stage (one value or one per stage; 0 skips the tests).
    seed : seed of the bootstrap: stage k's chunk i of ``chunk`` draws uses the ``(k, i)`` child of
        ``SeedSequence(seed)`` (``analysis.estimators.draws``), so the draws do not depend on ``executor``
        (``None``: serial; an ``ingestion.executor.Executor`` or a ``distributed.Client``), which runs the chunks.
    cluster : ``"entity"`` (default) clusters the regime-coefficient SE by entity, another
        column name clusters by it, ``None`` gives HC1.
    level : level of the LR confidence sets.
    missing : ``"drop"`` (default) drops rows missing a model column (warning, count in
        ``info["n_dropped_na"]``); the panel must still be balanced afterwards (a year missing for every
        entity is dropped whole, a scattered gap leaves the panel unbalanced and is refused); ``"raise"``
        refuses any missing value.

    Returns
    -------
    ThresholdResult with ``thresholds`` (sorted), ``ssr`` (S_0..S_k of the fitted models),
    ``f_stats``, ``boot_pvalues``, ``crit_values``, ``conf_int_thresholds`` and the regime
    coefficients as ``params``; ``info`` holds the LR curves, grid and stage SSRs.
    """
    if n_thresholds not in (1, 2, 3):
        raise ValueError(f"n_thresholds must be 1, 2 or 3, got {n_thresholds}")
    if not isinstance(regime_x, str):
        raise ValueError("regime_x must be one column name (one regime-dependent regressor)")
    controls = list(controls)
    trims = [float(trim)] * n_thresholds if np.isscalar(trim) else [float(t) for t in trim]
    boots = [int(n_boot)] * n_thresholds if np.isscalar(n_boot) else [int(b) for b in n_boot]
    if len(trims) != n_thresholds or len(boots) != n_thresholds:
        raise ValueError("trim and n_boot need one value or one value per threshold")
    if not all(0 <= t < 0.5 for t in trims):
        raise ValueError(f"trim shares must lie in [0, 0.5), got {trims}")
    numeric = list(dict.fromkeys([y, regime_x, q, *controls]))
    data, n_na = check_frame(data, numeric, [entity, time] + ([cluster] if cluster not in (None, "entity") else []),
                             missing=missing, who="fit_threshold")
    if data.duplicated([entity, time]).any():
        raise ValueError(f"duplicated ({entity}, {time}) rows; the panel needs one row per entity-period")
    df = data.sort_values([entity, time]).reset_index(drop=True)
    sizes = df.groupby(entity).size()
    if sizes.nunique() != 1:
        raise ValueError(
            f"the panel is unbalanced ({sizes.min()} to {sizes.max()} periods per {entity}); "
            "Hansen's threshold model needs a balanced panel: keep entities observed in every period"
            + (f" (after dropping {n_na} rows with missing values)" if n_na else "")
        )
    N, T = sizes.size, int(sizes.iloc[0])
    n = N * T
    if T < 2:
        raise ValueError("need at least two periods per entity")

    within = Demeaner([factorize(df[entity].to_numpy())[0]])  # the engine's one sweep of entity means

    yv = df[y].to_numpy(float)
    xv = df[regime_x].to_numpy(float)
    qv = df[q].to_numpy(float)
    y_w = within(yv[:, None])[:, 0]
    Z = within(np.column_stack([df[controls].to_numpy(float), xv]) if controls else xv[:, None])
    Q, Rz = np.linalg.qr(Z)
    if np.min(np.abs(np.diag(Rz))) < 1e-10 * max(1.0, np.max(np.abs(np.diag(Rz)))):
        raise ValueError(
            f"singular design among {controls + [regime_x]} after removing entity means "
            "(a column is constant within entities or collinear); drop it"
        )

    def resid_z(a: np.ndarray) -> np.ndarray:
        return a - Q @ (Q.T @ a)

    cand = threshold_grid(qv, trims[0], grid)
    if cand.size < 2:
        raise ValueError(f"threshold variable {q!r} has too few distinct values for a grid search")
    ind = qv[:, None] <= cand[None, :]
    counts = ind.sum(axis=0)
    V = resid_z(within(xv[:, None] * ind))
    C = V.T @ V
    search = _Search(C, counts, n)
    min_counts = [int(np.floor(t * n)) for t in trims]
    n_within_df = n - N  # n(T-1), Hansen's divisor of sigma^2

    # ---- observed data
    r_obs = resid_z(y_w[:, None])
    Bm_obs = V.T @ r_obs
    rr_obs = np.array([float(r_obs[:, 0] @ r_obs[:, 0])])
    stage, final, path = search.sequential(Bm_obs, rr_obs, n_thresholds, min_counts, refine)
    stage, final = stage[0], final[0]
    f_stats = [(final[k - 1] - stage[k]) / (stage[k] / n_within_df) for k in range(1, n_thresholds + 1)]
    idx_by_model = [p[0].copy() for p in path]  # thresholds (grid indices) of the k-threshold model

    # ---- bootstrap, one test per stage: H0 = (k-1) thresholds
    pvals, crits = [], []
    for k in range(1, n_thresholds + 1):
        B = boots[k - 1]
        if B <= 0:
            pvals.append(np.nan)
            crits.append([np.nan] * 3)
            continue
        null_idx = idx_by_model[k - 2] if k > 1 else np.zeros(0, dtype=int)
        # fitted values and residuals of the (k-1)-threshold model, in demeaned space
        Xn = np.column_stack([Z, V[:, null_idx]]) if null_idx.size else Z
        beta, *_ = np.linalg.lstsq(Xn, y_w, rcond=None)
        fit0 = Xn @ beta
        design = BootstrapDesign(fit0, (y_w - fit0).reshape(N, T), Q, V, search, k, tuple(min_counts), refine,
                                 n_within_df)
        fstar = np.concatenate(run_draws(bootstrap_chunk, design, B, seed, executor=executor, chunk_size=chunk,
                                         stream=(k,), progress=progress, desc=f"threshold bootstrap {k}"))
        pvals.append(float(np.mean(fstar >= f_stats[k - 1])))
        crits.append(list(np.quantile(fstar, [0.90, 0.95, 0.99])))

    # ---- LR confidence sets for the final model's thresholds
    final_idx = idx_by_model[-1]
    sigma2 = final[n_thresholds] / n_within_df
    crit = lr_critical_value(level)
    ci_rows, lr_curves = [], {}
    for i in range(n_thresholds):
        others = np.delete(final_idx, i)[None, :]
        curve, _ = search.ssr(Bm_obs, rr_obs, others, min_counts[i] if i else 0)
        curve = curve[0]
        lr = (curve - curve[final_idx[i]]) / sigma2
        ok = np.isfinite(lr) & (lr <= crit)
        inside = cand[ok]
        # the run of consecutive grid points around the estimate (the set itself may be disjoint)
        lo_i = hi_i = int(final_idx[i])
        while lo_i > 0 and ok[lo_i - 1]:
            lo_i -= 1
        while hi_i < len(cand) - 1 and ok[hi_i + 1]:
            hi_i += 1
        ci_rows.append({"threshold": cand[final_idx[i]], "lower": cand[lo_i], "upper": cand[hi_i],
                        "set_min": inside.min(), "set_max": inside.max()})
        lr_curves[f"gamma{i + 1}"] = pd.DataFrame({"threshold": cand, "LR": lr})
    order = np.argsort([r["threshold"] for r in ci_rows])
    ci = pd.DataFrame([ci_rows[j] for j in order], index=[f"gamma{j + 1}" for j in range(n_thresholds)])
    lr_curves = {f"gamma{j + 1}": lr_curves[f"gamma{order[j] + 1}"] for j in range(n_thresholds)}
    ths = tuple(float(v) for v in ci["threshold"])

    # ---- regime coefficients (FE-OLS with the regime interactions)
    edges = [-np.inf, *ths, np.inf]
    regime = np.searchsorted(np.array(ths), qv, side="left")  # q <= g1 -> 0, g1 < q <= g2 -> 1 ...
    reg = df[[y, entity, *controls]].copy()
    names = []
    for j in range(n_thresholds + 1):
        lo, hi = edges[j], edges[j + 1]
        name = f"{regime_x}_regime{j + 1}"
        reg[name] = xv * (regime == j)
        names.append(name)
    reg["_cluster_"] = df[entity] if cluster == "entity" else (df[cluster] if cluster else 0)
    fit = fit_fe(reg, f"{y} ~ {' + '.join([*names, *controls])} | {entity}",
                 cluster="_cluster_" if cluster else None)
    info = dict(fit.info)
    info.update({
        "grid": cand, "lr_curves": lr_curves, "stage_ssr": tuple(float(s) for s in stage),
        "n_within_df": n_within_df, "regime_counts": np.bincount(regime, minlength=n_thresholds + 1),
        "n_entities": N, "n_periods": T, "lr_critical_value": crit, "trim": trims, "n_boot": boots,
        "cluster": (entity if cluster == "entity" else cluster), "n_dropped_na": n_na,
        "regime_labels": [f"({edges[j]:.4g}, {edges[j + 1]:.4g}]" for j in range(n_thresholds + 1)],
    })
    crit_df = pd.DataFrame(crits, columns=["crit10", "crit5", "crit1"],
                           index=["single", "double", "triple"][:n_thresholds])
    return ThresholdResult(
        params=fit.params, bse=fit.bse, nobs=fit.nobs, model=f"Panel threshold ({n_thresholds})",
        df_resid=fit.df_resid, stats={**fit.stats, **{threshold_f(k + 1): f for k, f in enumerate(f_stats)}},
        info=info, cov=fit.cov, thresholds=ths, ssr=tuple(float(s) for s in final), f_stats=tuple(float(f) for f in f_stats),
        boot_pvalues=tuple(pvals), crit_values=crit_df, conf_int_thresholds=ci,
    )
