"""The fixed-effects engine every linear estimator calls: demeaning, absorbed degrees of freedom,
small-sample conventions and the sandwich. Panel FE, IV, DID, mediation, threshold, heterogeneity and
DML use these functions and nothing else to absorb effects or build covariances, so a convention that
changes numbers is written once, here.

Demeaning (:class:`Demeaner`, one object reused for any number of columns, e.g. 1,000 placebo draws)
picks the strategy from the design:

* ``"none"``: no fixed effects;
* ``"one sweep"``: one set of effects, or a balanced two-way panel (every cell once): subtracting group
  means once is the exact projection;
* ``"partitioned"``: an unbalanced two-way panel whose smaller set has at most ``PARTITIONED_MAX_LEVELS``
  levels: sweep the larger set (``M_A``), then project on the smaller set's demeaned dummies
  ``B_a = M_A B`` through the pseudo-inverse of ``B_a'B_a`` (exact to rounding, disconnected panels
  included; Frisch-Waugh-Lovell on the partitioned dummy regression). This is what makes the DID
  estimates equal the dummy-variable regression to 1e-12;
* ``"alternating projections"``: three or more sets (or a huge smaller set): sweep every set in turn
  until the largest change, scaled by the column's size, is below ``tol`` (Gaure 2013; Correia 2016).

Absorbed degrees of freedom (:meth:`Demeaner.absorbed_dof`): ``sum(levels) - (n_fe - 1)``, fixest's
count, which ignores further redundancies of disconnected two-way designs.

Small-sample conventions (:func:`sandwich`, :func:`small_sample`), with ``N`` observations, ``k``
slopes, ``G`` clusters, ``K = k +`` absorbed df ``-`` levels of every effect nested in the clusters
``+ 1`` per nested set (:func:`dof_k`):

* ``iid``: ``V = s^2 (X'X)^-1``, ``s^2 = SSR / (N - K)``; t with ``N - K`` df;
* ``HC1``: ``V = N/(N-K) (X'X)^-1 (sum e_i^2 x_i x_i') (X'X)^-1``; t with ``N - K`` df;
* ``CR1``: ``V = G/(G-1) (N-1)/(N-K) (X'X)^-1 (sum_g s_g s_g') (X'X)^-1``, ``s_g = sum_{i in g} e_i x_i``;
  t with ``G - 1`` df. Several cluster columns (``cluster=["province", "year"]``) give multiway clustering
  (Cameron-Gelbach-Miller: the meats of every intersection added and subtracted), with the same factor and
  df taken at the smallest G;
* ``Conley``: Conley's spatial HAC meat (``vcov=Conley(cutoff_km, distances, entity, time, kernel, lags)``)
  with the HC1 factor ``N/(N-K)`` and t with ``N - K`` df. The meats are in ``analysis.estimators.covariance``.

This is pyfixest's ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")`` (fixest's default,
what Stata's reghdfe reports), asserted to 1e-9 in the tests and independent of the order of the fixed
effects. Score-based variances without the ``(N-1)/(N-K)`` factor (DML, the suest z of split samples)
use ``small_sample(..., k_adj=False)``: ``G/(G-1)``, pyfixest's ``ssc(k_adj=False, G_adj=True)``.

Fit statistics (:func:`fit_statistics`): ``R2 = 1 - SSR/TSS`` of the raw outcome (fixed effects
count as fitted), ``R2_within = 1 - SSR / sum(demeaned y^2)``, ``adj_R2 = 1 - (1 - R2)(N - 1)/(N - k -
sum(levels - 1) - 1)`` (fixest's ``ar2``: every absorbed effect counted, whatever the clusters).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.estimators.base import EstimationResult
from analysis.estimators.covariance import Conley, ConleyGrid, cluster_sums, conley_meat, factorize, multiway_components
from analysis.estimators.inputs import unknown_columns, vcov_request
from analysis.estimators.statistics import ADJ_R2, N_CLUSTERS, R2, R2_WITHIN

__all__ = ["WithinDesign", "within_design", "fit_within", "Demeaner", "STRATEGIES", "VcovSpec", "resolve_vcov",
           "factorize", "nested_in", "dof_k", "small_sample", "cluster_sums", "sandwich", "ols", "column_scale",
           "fit_statistics", "PARTITIONED_MAX_LEVELS", "meat", "cluster_columns", "Conley"]

PARTITIONED_MAX_LEVELS = 2_000  # B_a is n x levels dense: 2,000 levels of years/cities is cheap
STRATEGIES = ("none", "one sweep", "partitioned", "alternating projections")


def nested_in(fe_code: np.ndarray, cluster_code: np.ndarray) -> bool:
    """True if every level of the fixed effect lies inside a single cluster."""
    fe_code, cluster_code = np.asarray(fe_code), np.asarray(cluster_code)
    if len(fe_code) == 0:
        return True
    seen = np.empty(int(fe_code.max()) + 1, dtype=cluster_code.dtype)
    seen[fe_code] = cluster_code          # one cluster per level (the last one written)
    return bool(np.array_equal(seen[fe_code], cluster_code))


def _indicator(codes: np.ndarray, n_levels: int) -> sp.csr_matrix:
    n = len(codes)
    return sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, n_levels))


# ---------------------------------------------------------------- demeaning


@dataclass
class Demeaner:
    """Within transformation for zero, one or several sets of fixed effects (integer codes 0..G-1),
    reusable on any number of columns. ``strategy="auto"`` chooses from the design (module docstring);
    naming one forces it (the tests compare the exact paths with alternating projections)."""

    fe_codes: Sequence[np.ndarray]
    strategy: str = "auto"
    tol: float = 1e-10
    max_iter: int = 10_000
    n_levels: list = field(default_factory=list, init=False)
    _mats: list = field(default_factory=list, init=False, repr=False)
    _counts: list = field(default_factory=list, init=False, repr=False)
    _partitioned: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.fe_codes = [np.asarray(c, dtype=np.int64) for c in self.fe_codes]
        for codes in self.fe_codes:
            n_lev = int(codes.max()) + 1 if len(codes) else 0
            M = _indicator(codes, n_lev)
            self._mats.append((M, M.T.tocsr()))
            self._counts.append(np.bincount(codes, minlength=n_lev).astype(float))
            self.n_levels.append(n_lev)
        n_fe = len(self.fe_codes)
        exact_sweep = n_fe == 1 or (n_fe == 2 and self._balanced())
        if self.strategy == "auto":
            if n_fe == 0:
                self.strategy = "none"
            elif exact_sweep:
                self.strategy = "one sweep"
            elif n_fe == 2 and min(self.n_levels) <= PARTITIONED_MAX_LEVELS:
                self.strategy = "partitioned"
            else:
                self.strategy = "alternating projections"
        # a forced strategy must be exact for this design (alternating projections always converge)
        valid = {"none": n_fe == 0, "one sweep": exact_sweep, "partitioned": n_fe == 2,
                 "alternating projections": n_fe >= 1}
        if self.strategy not in STRATEGIES or not valid[self.strategy]:
            raise ValueError(f"demeaning strategy {self.strategy!r} does not fit {n_fe} set(s) of fixed effects "
                             f"(balanced: {exact_sweep}); choose one of {STRATEGIES} or 'auto'")
        if self.strategy == "partitioned":
            self._partitioned = self._partition()

    def _balanced(self) -> bool:
        """Every (a, b) cell observed exactly once: one sweep per set is then the exact projection."""
        a, b = self.fe_codes
        n_cells = self.n_levels[0] * self.n_levels[1]
        if len(a) != n_cells:
            return False
        return bool(np.all(np.bincount(a * self.n_levels[1] + b, minlength=n_cells) == 1))

    def _partition(self):
        small = int(np.argmin(self.n_levels))
        big = 1 - small
        B = self._mats[small][0].toarray()
        B_a = self._sweep(B, big)
        S = B_a.T @ B_a
        w, V = np.linalg.eigh(S)
        keep = w > 1e-10 * max(w.max(), 1e-300)
        S_pinv = (V[:, keep] / w[keep]) @ V[:, keep].T
        return big, B_a, S_pinv

    @property
    def levels(self) -> list[int]:
        return list(self.n_levels)

    def absorbed_dof(self) -> int:
        """Absorbed parameters: sum of levels minus one per additional set (fixest count)."""
        if not self.fe_codes:
            return 0
        return int(sum(self.n_levels) - (len(self.fe_codes) - 1))

    def _sweep(self, X: np.ndarray, k: int) -> np.ndarray:
        (M, Mt), cnt = self._mats[k], self._counts[k]
        return X - M @ ((Mt @ X) / cnt[:, None])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=float, copy=True)
        vec = X.ndim == 1
        if vec:
            X = X[:, None]
        if self.strategy == "one sweep":
            for k in range(len(self.fe_codes)):
                X = self._sweep(X, k)
        elif self.strategy == "partitioned":
            big, B_a, S_pinv = self._partitioned
            X = self._sweep(X, big)
            X -= B_a @ (S_pinv @ (B_a.T @ X))
        elif self.strategy == "alternating projections":
            scale = np.maximum(np.abs(X).max(axis=0), 1.0)
            for _ in range(self.max_iter):
                X_old = X
                for k in range(len(self.fe_codes)):
                    X = self._sweep(X, k)
                if np.max(np.abs(X - X_old).max(axis=0) / scale) < self.tol:
                    break
            else:  # pragma: no cover - pathological designs
                raise ValueError("fixed-effect demeaning did not converge; check for disconnected panels")
        return X[:, 0] if vec else X


# ---------------------------------------------------------------- covariance conventions


@dataclass(frozen=True)
class VcovSpec:
    """Covariance choice resolved against the data: ``kind`` in {"iid", "HC1", "CR1", "Conley"}.

    CR1 with several cluster columns is multiway: ``components`` holds every intersection with its
    inclusion-exclusion sign, ``n_clusters`` is the smallest G (the factor and the t df use it) and
    ``cluster_code`` the first column's codes; ``dims`` holds each column's codes (the nested-FE rule)."""

    kind: str
    cluster_code: np.ndarray | None = None
    n_clusters: int | None = None
    cluster_name: str | list[str] | None = None
    components: tuple = ()
    dims: tuple = ()
    conley: ConleyGrid | None = None

    @property
    def multiway(self) -> bool:
        return len(self.dims) > 1


def cluster_columns(cluster: str | Sequence[str] | None) -> list[str]:
    """The column(s) named by a ``cluster`` argument: one name, a list (multiway) or None."""
    if cluster is None:
        return []
    return [cluster] if isinstance(cluster, str) else list(cluster)


def resolve_vcov(data: pd.DataFrame, cluster: str | Sequence[str] | None, vcov: str | Conley | None) -> VcovSpec:
    """``cluster`` (a column, or several for multiway clustering) gives CR1; otherwise ``vcov`` "HC1" (default,
    also "robust", "hetero"), "iid", a :class:`~analysis.estimators.covariance.Conley` request, or pyfixest's
    ``{"CRV1": "a"}`` / ``{"CRV1": "a+b"}`` (the accepted forms: ``analysis.estimators.inputs.vcov_request``)."""
    cluster, vcov = vcov_request(cluster, vcov)
    columns = cluster_columns(cluster)
    if columns:
        if vcov is not None and not isinstance(vcov, str):
            raise ValueError("give either cluster or a Conley vcov, not both")
        if len(set(columns)) < len(columns):
            raise ValueError(f"cluster columns {columns} repeat a column")
        codes = []
        for c in columns:
            if c not in data.columns:
                raise unknown_columns(data, [c], what="cluster column")
            if data[c].isna().any():
                raise ValueError(f"cluster column {c!r} has missing values; drop those rows")
            code, g = factorize(data[c].to_numpy())
            if g < 2:
                raise ValueError(f"cluster column {c!r} has fewer than two clusters")
            codes.append(code)
        comps = tuple(multiway_components(codes))
        g_min = min(g for _, g, _ in comps)
        name = columns[0] if len(columns) == 1 else columns
        return VcovSpec("CR1", codes[0], g_min, name, comps, tuple(codes))
    if isinstance(vcov, Conley):
        return VcovSpec("Conley", conley=vcov.grid(data))
    return VcovSpec(vcov or "HC1")


def dof_k(k: int, demeaner: Demeaner, spec: VcovSpec) -> int:
    """K of the small-sample factor: slopes + absorbed FE, minus the levels of every set nested in
    the clusters (in any cluster column, when multiway) plus one per nested set (pyfixest ``k_fixef="nonnested"``)."""
    if not demeaner.fe_codes:
        return k
    if spec.kind != "CR1":
        return k + demeaner.absorbed_dof()
    nested = [any(nested_in(c, d) for d in spec.dims) for c in demeaner.fe_codes]
    if not any(nested):
        return k + demeaner.absorbed_dof()
    k_nested = sum(lv for lv, n in zip(demeaner.levels, nested) if n)
    return k + demeaner.absorbed_dof() - k_nested + sum(nested)


def small_sample(kind: str, n: int, k_dof: int, n_clusters: int | None = None, *,
                 k_adj: bool = True) -> tuple[float, float]:
    """(factor multiplying the raw sandwich, t degrees of freedom) of the pinned convention.

    ``iid`` and ``HC1``: ``N/(N-K)`` (for iid this turns SSR/N into SSR/(N-K)), t(N-K); ``CR1``:
    ``G/(G-1) (N-1)/(N-K)``, t(G-1). ``k_adj=False`` drops the K terms (score variances): CR1
    ``G/(G-1)``, HC1 ``1``.
    """
    if kind == "CR1":
        g = int(n_clusters)
        factor = g / (g - 1) * ((n - 1) / (n - k_dof) if k_adj else 1.0)
        return factor, float(g - 1)
    if kind in ("iid", "HC1", "Conley"):
        return (n / (n - k_dof) if k_adj else 1.0), float(n - k_dof)
    raise ValueError(f"unknown covariance kind {kind!r}")


def meat(scores: np.ndarray, spec: VcovSpec) -> np.ndarray:
    """The meat of the sandwich for the scores (n x k): HC ``sum s_i s_i'``, one-way or multiway cluster
    sums, or Conley's spatial HAC (``analysis.estimators.covariance``); no small-sample factor."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        scores = scores[:, None]
    if spec.kind in ("HC1", "iid"):
        return scores.T @ scores
    if spec.kind == "Conley":
        return conley_meat(scores, spec.conley)
    out = np.zeros((scores.shape[1], scores.shape[1]))
    for code, g, sign in spec.components:
        sums = cluster_sums(scores, code, g)
        out += sign * (sums.T @ sums)
    return out


def sandwich(X: np.ndarray, resid: np.ndarray, bread: np.ndarray, spec: VcovSpec,
             k_dof: int) -> tuple[np.ndarray, float]:
    """Covariance matrix of OLS-type coefficients (``bread = (X'X)^-1``) and the t degrees of freedom."""
    n = X.shape[0]
    if spec.kind == "iid":
        _, df = small_sample("iid", n, k_dof)
        return float(resid @ resid) / (n - k_dof) * bread, df
    factor, df = small_sample(spec.kind, n, k_dof, spec.n_clusters)
    return factor * (bread @ meat(X * resid[:, None], spec) @ bread), df


def column_scale(X: np.ndarray) -> np.ndarray:
    """Size of each column before the fixed effects are removed (norm around its mean): the yardstick of
    ``ols``'s "no variation left" check."""
    X = np.asarray(X, dtype=float)
    return np.sqrt(((X - X.mean(axis=0)) ** 2).sum(axis=0))


def _full_rank(unit: np.ndarray) -> bool:
    """``np.linalg.matrix_rank(unit) == k`` for columns of unit norm, decided from the k x k Gram matrix when
    it is well conditioned (smallest eigenvalue above 1e-8: the smallest singular value is then far above
    matrix_rank's tolerance, so both say "full rank"), and by matrix_rank's SVD otherwise. The SVD of a tall
    matrix costs ten times the Gram product (a third of an event study on 46,500 rows)."""
    k = unit.shape[1]
    if np.linalg.eigvalsh(unit.T @ unit)[0] > 1e-8:
        return True
    return int(np.linalg.matrix_rank(unit)) == k


def ols(y: np.ndarray, X: np.ndarray, names: Sequence[str], *,
        scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """beta, residuals and ``(X'X)^-1``; a singular design is one ValueError naming the culprit.

    A column whose norm after demeaning is below 1e-9 of its ``scale`` (``column_scale`` of the raw
    column; default its own norm) has no variation left; collinearity is judged on the columns scaled
    to unit norm, so that units (yuan or 10^4 yuan) never decide it.
    """
    if X.shape[1] == 0:
        raise ValueError("no regressor left after absorbing the fixed effects")
    k = X.shape[1]
    norms = np.sqrt((X**2).sum(axis=0))
    ref = norms if scale is None else np.maximum(np.asarray(scale, dtype=float), norms)
    zero = [names[j] for j in range(k) if norms[j] <= 1e-9 * ref[j] or norms[j] == 0.0]
    unit = X / np.where(norms > 0, norms, 1.0)
    if zero or not _full_rank(unit):
        bad, kept = [], []
        for j in range(k):
            if np.linalg.matrix_rank(unit[:, kept + [j]]) < len(kept) + 1:
                bad.append(names[j])
            else:
                kept.append(j)
        what = (f"regressor(s) {zero} have no variation after removing the fixed effects" if zero else
                f"regressor(s) {bad or list(names)} are collinear with the other regressors")
        raise ValueError(f"singular design: {what}; drop them or the fixed effect that absorbs them")
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ (X.T @ y)
    return beta, y - X @ beta, bread


def fit_statistics(y_raw: np.ndarray, y_within: np.ndarray, resid: np.ndarray, n_slopes: int,
                   demeaner: Demeaner, *, intercept: bool = False) -> dict[str, float]:
    """R2, adj_R2 and (with fixed effects) R2_within of a linear fit (conventions in the module docstring).

    ``n_slopes`` counts the estimated coefficients other than an ``intercept`` column.
    """
    n = len(y_raw)
    ssr = float(resid @ resid)
    tss = float(np.sum((y_raw - y_raw.mean()) ** 2))
    out = {R2: 1.0 - ssr / tss if tss > 0 else np.nan}
    k_fe = sum(nl - 1 for nl in demeaner.levels) + 1  # every absorbed effect plus the constant
    if not demeaner.fe_codes:
        k_fe = 1 if intercept else 0
    out[ADJ_R2] = 1.0 - (ssr / tss) * (n - 1) / (n - n_slopes - k_fe) if tss > 0 else np.nan
    if demeaner.fe_codes:
        tss_within = float(y_within @ y_within)
        out[R2_WITHIN] = 1.0 - ssr / tss_within if tss_within > 0 else np.nan
    return out


# ---------------------------------------------------------------- one linear FE fit


@dataclass(frozen=True)
class WithinDesign:
    """Demeaned outcome and regressors of one specification, reusable by bootstrap / permutation code."""

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    demeaner: Demeaner
    vcov: VcovSpec
    y_raw: np.ndarray
    x_scale: np.ndarray  # size of each regressor before demeaning (the singular-design yardstick)
    dep_var: str
    fe: tuple[str, ...]

    @property
    def intercept(self) -> bool:
        return bool(self.names) and self.names[0] == "Intercept"


def within_design(data: pd.DataFrame, *, y: str, regressors: Sequence[str], fe: Sequence[str] = (),
                  cluster: str | None = None, vcov: str | None = None, intercept: bool = False) -> WithinDesign:
    """Demean ``y`` and ``regressors`` by every set of ``fe`` (columns of a checked, complete ``data``);
    ``intercept`` adds a constant column (only meaningful without fixed effects)."""
    demeaner = Demeaner([factorize(data[c].to_numpy())[0] for c in fe])
    raw = data[[y, *regressors]].to_numpy(dtype=float)
    dm = demeaner(raw)
    y_dm, X = dm[:, 0], dm[:, 1:]
    names = list(regressors)
    scale = column_scale(raw[:, 1:])
    if intercept:
        X = np.column_stack([np.ones(len(y_dm)), X])
        names = ["Intercept", *names]
        scale = np.r_[0.0, scale]
    return WithinDesign(y_dm, X, names, demeaner, resolve_vcov(data, cluster, vcov), raw[:, 0], scale, y, tuple(fe))


def fit_within(design: WithinDesign, *, model: str, info: dict | None = None,
               stats: dict | None = None) -> EstimationResult:
    """OLS on a demeaned design with the pinned covariance and fit statistics, as an EstimationResult
    (``cov``; ``stats`` R2, adj_R2, R2_within, N_clusters plus ``stats``; ``info`` dep_var, fe, cluster,
    vcov, df_k, ssr, resid plus ``info``)."""
    d = design
    beta, resid, bread = ols(d.y, d.X, d.names, scale=d.x_scale)
    k_dof = dof_k(d.X.shape[1], d.demeaner, d.vcov)
    cov, df_t = sandwich(d.X, resid, bread, d.vcov, k_dof)
    fit_stats = fit_statistics(d.y_raw, d.y, resid, d.X.shape[1] - d.intercept, d.demeaner, intercept=d.intercept)
    if d.vcov.kind == "CR1":
        fit_stats[N_CLUSTERS] = int(d.vcov.n_clusters)
    meta = {"dep_var": d.dep_var, "fe": list(d.fe), "cluster": d.vcov.cluster_name, "vcov": d.vcov.kind,
            "df_k": k_dof, "ssr": float(resid @ resid), "resid": resid, **(info or {})}
    return EstimationResult(
        params=pd.Series(beta, index=d.names), bse=pd.Series(np.sqrt(np.diag(cov)), index=d.names),
        nobs=len(resid), model=model, df_resid=df_t, stats={**fit_stats, **(stats or {})}, info=meta,
        cov=pd.DataFrame(cov, index=d.names, columns=d.names),
    )
