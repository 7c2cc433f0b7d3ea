"""The meat of the sandwich for every covariance the engine knows: one-way and multiway clusters and Conley's
spatial HAC. The small-sample factors and the degrees of freedom are the engine's
(``analysis.estimators.fixed_effects``: ``small_sample``, ``dof_k``); this module only sums scores.

Scores ``s_i = x_i e_i`` (n x k; for IV the projected regressors times the structural residuals).

* One-way clusters: ``sum_g S_g S_g'`` with ``S_g = sum_{i in g} s_i`` (:func:`cluster_sums`).
* Multiway clusters (Cameron, Gelbach & Miller 2011, "Robust inference with multiway clustering", JBES
  29(2)): inclusion-exclusion over every non-empty subset of the cluster dimensions, ``sum_S (-1)^(|S|+1)
  meat(clusters = intersection of S)``; with two dimensions ``meat(a) + meat(b) - meat(a x b)``. The
  engine multiplies the sum by one factor, ``G/(G-1) (N-1)/(N-K)`` with ``G`` the smallest number of
  clusters (pyfixest ``ssc(G_df="min")``, fixest's default), and uses t with ``min(G) - 1`` df. The matrix
  is not forced to be positive semi-definite (no eigenvalue clipping, as pyfixest and fixest).
* Conley (1999, "GMM estimation with cross sectional dependence", J. Econometrics 92) spatial HAC for a
  panel, the construction of Hsiang (2010, PNAS; Stata ``ols_spatial_HAC``) and Fetzer's ``conleyreg``:
  ``sum_t sum_{i,j in t} K(d_ij) s_i s_j'`` (pairs in the same period, the observation with itself
  included, ``K`` = Bartlett ``1 - d/cutoff`` for ``d < cutoff`` or uniform ``1`` for ``d <= cutoff``,
  ``d`` the great-circle distance in km between the units' centroids) plus, with ``lags = L > 0``, the
  serial part ``sum_i sum_{0 < |t - s| <= L} (1 - |t - s|/(L + 1)) s_it s_is'`` within each unit (Newey-West
  weights; periods are the time values, so a gap of two years is lag 2). The engine multiplies by
  ``N/(N-K)`` (the HC1 factor: with a cutoff below every distance and no lags Conley's matrix is HC1) and
  uses t with ``N - K`` df. The uniform kernel does not guarantee a positive semi-definite matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["cluster_sums", "factorize", "multiway_components", "Conley", "ConleyGrid", "conley_meat", "KERNELS"]

KERNELS = ("bartlett", "uniform")


def factorize(values: Any) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 of a key column (any hashable dtype, sorted levels) and the number of levels G."""
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), len(uniques)


def cluster_sums(scores: np.ndarray, cluster_code: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
    """Per-cluster sums of the rows of ``scores`` (n x k, or n): a (G x k) matrix, clusters in code order.

    One sparse (G x n) indicator product, summing each cluster's rows in row order (the same sums as
    ``np.add.at``, much faster on the many columns of the placebo draws)."""
    scores = np.asarray(scores, dtype=float)
    n = scores.shape[0]
    g = int(cluster_code.max()) + 1 if n_clusters is None else int(n_clusters)
    summer = sp.csr_matrix((np.ones(n), (cluster_code, np.arange(n))), shape=(g, n))
    return np.asarray(summer @ scores)


def multiway_components(codes: Sequence[np.ndarray]) -> list[tuple[np.ndarray, int, float]]:
    """(cluster codes, G, sign) of every non-empty subset of the dimensions: the intersections and their
    inclusion-exclusion signs (one dimension: the clusters themselves with sign +1)."""
    out = []
    for size in range(1, len(codes) + 1):
        for subset in combinations(range(len(codes)), size):
            if size == 1:
                c, g = codes[subset[0]], int(codes[subset[0]].max()) + 1
            else:
                c, g = factorize(pd.MultiIndex.from_arrays([codes[j] for j in subset]).to_flat_index())
            out.append((c, g, 1.0 if size % 2 == 1 else -1.0))
    return out


@dataclass(frozen=True)
class Conley:
    """Request for Conley spatial-HAC standard errors (see the module docstring).

    ``distances``: unit x unit great-circle distances in km, a DataFrame whose index and columns are the
    values of ``entity`` (``analysis.marts.load_distances_km`` reads them from the warehouse: one home of the
    distance rule, the dbt macro ``great_circle_km`` on ``dim_city`` centroids). ``cutoff_km``: distance
    beyond which scores are uncorrelated. ``kernel``: ``"bartlett"`` or ``"uniform"``. ``lags``: serial
    correlation within a unit up to this many periods (Bartlett weights; 0: none). ``entity``, ``time``:
    the panel keys of the data.
    """

    cutoff_km: float
    distances: pd.DataFrame = field(repr=False)
    entity: str
    time: str
    kernel: str = "bartlett"
    lags: int = 0

    def __post_init__(self) -> None:
        if not (isinstance(self.cutoff_km, (int, float)) and self.cutoff_km > 0):
            raise ValueError(f"Conley cutoff_km must be a positive number of km, got {self.cutoff_km!r}")
        if self.kernel not in KERNELS:
            raise ValueError(f"Conley kernel must be one of {KERNELS}, got {self.kernel!r}")
        if not isinstance(self.lags, (int, np.integer)) or self.lags < 0:
            raise ValueError(f"Conley lags must be a non-negative integer, got {self.lags!r}")
        if not isinstance(self.distances, pd.DataFrame) or not self.distances.index.equals(self.distances.columns):
            raise ValueError("Conley distances must be a square DataFrame with the same units as index and columns")

    def grid(self, data: pd.DataFrame) -> "ConleyGrid":
        """The rows of ``data`` placed on the distance matrix and the time axis (checked)."""
        for c in (self.entity, self.time):
            if c not in data.columns:
                raise ValueError(f"Conley needs the column {c!r} in the data")
        units = data[self.entity].to_numpy()
        pos = self.distances.index.get_indexer(units)
        if (pos < 0).any():
            missing = pd.unique(units[pos < 0])[:5].tolist()
            raise ValueError(f"units {missing} of column {self.entity!r} have no row in the Conley distance matrix; "
                             "pass distances for every unit of the estimation sample")
        if data.duplicated([self.entity, self.time]).any():
            raise ValueError(f"Conley needs one row per ({self.entity}, {self.time})")
        used = np.unique(pos)
        D = self.distances.to_numpy(dtype=float)[np.ix_(used, used)]
        if not np.all(np.isfinite(D)) or (D < 0).any():
            raise ValueError("Conley distances must be finite and non-negative for the units of the sample")
        local = np.searchsorted(used, pos)
        return ConleyGrid(self, local, data[self.time].to_numpy(dtype=float), D)


@dataclass(frozen=True)
class ConleyGrid:
    """A :class:`Conley` request resolved against the estimation sample (row -> unit index, time value)."""

    spec: Conley
    unit: np.ndarray
    time: np.ndarray
    D: np.ndarray

    def weights(self, d: np.ndarray) -> np.ndarray:
        c = self.spec.cutoff_km
        if self.spec.kernel == "uniform":
            return (d <= c).astype(float)
        return np.where(d < c, 1.0 - d / c, 0.0)


def conley_meat(scores: np.ndarray, grid: ConleyGrid) -> np.ndarray:
    """Conley's spatial (same period) plus serial (same unit) meat of the scores (module docstring)."""
    scores = np.asarray(scores, dtype=float)
    k = scores.shape[1]
    meat = np.zeros((k, k))
    for t in np.unique(grid.time):
        rows = np.flatnonzero(grid.time == t)
        S = scores[rows]
        u = grid.unit[rows]
        meat += S.T @ (grid.weights(grid.D[np.ix_(u, u)]) @ S)
    L = grid.spec.lags
    if L:
        index = {(u, t): i for i, (u, t) in enumerate(zip(grid.unit.tolist(), grid.time.tolist()))}
        for lag in range(1, L + 1):
            pairs = [(i, index[(u, t - lag)]) for i, (u, t) in enumerate(zip(grid.unit.tolist(), grid.time.tolist()))
                     if (u, t - lag) in index]
            if not pairs:
                continue
            a, b = np.array(pairs).T
            cross = scores[a].T @ scores[b]
            meat += (1.0 - lag / (L + 1)) * (cross + cross.T)
    return meat
