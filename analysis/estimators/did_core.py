"""Private core of the DID family: input checks, fixed-effect demeaning, OLS with FE and its variance.

Everything in ``did*.py`` runs through these few functions so that the conventions that change
numbers live in exactly one place:

* Fixed effects are removed by the within transformation (alternating projections, Guimaraes and
  Portugal 2010 / Correia 2016 for several FE), so the slopes equal those of the dummy-variable
  regression (Frisch-Waugh-Lovell).
* Heteroskedasticity-robust variance (``cluster=None``): HC1,
  ``V = N/(N-K) (X'X)^-1 (sum e_i^2 x_i x_i') (X'X)^-1`` with ``K`` = slopes + all FE levels minus
  (number of FE - 1); t inference with ``N - K`` degrees of freedom.
* Cluster-robust variance (CRV1): ``V = G/(G-1) (N-1)/(N-K) (X'X)^-1 (sum_g s_g s_g') (X'X)^-1``
  with ``s_g = sum_{i in g} e_i x_i``; FE nested in the clusters are not counted in ``K`` except one
  per fully nested FE; t inference with ``G - 1`` degrees of freedom. This is pyfixest's
  ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")`` (= fixest's default, and what
  Stata's reghdfe reports), set explicitly so that it never depends on the FE order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.estimators.base import EstimationResult
from analysis.estimators.statistics import ADJ_R2, N_CLUSTERS, R2, R2_WITHIN

# ---------------------------------------------------------------- figures


def new_figure(figsize: tuple[float, float]):
    """A Figure on the Agg canvas, outside pyplot's global state (no plt.show, nothing leaks)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


# ---------------------------------------------------------------- input checks


def check_columns(data: pd.DataFrame, columns: Iterable[str], *, numeric: Iterable[str] = (),
                  no_nan: Iterable[str] = ()) -> None:
    """Raise one clear ValueError for missing, non-numeric or NaN key columns."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    columns = [c for c in columns if c is not None]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not found in data; available columns: {list(data.columns)[:30]}"
        )
    for c in numeric:
        if c is None:
            continue
        if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
            raise ValueError(
                f"column '{c}' must be numeric (dtype is {data[c].dtype}); convert it with "
                f"pd.to_numeric(data['{c}']) first"
            )
    for c in no_nan:
        if c is None:
            continue
        n_bad = int(data[c].isna().sum())
        if n_bad:
            raise ValueError(
                f"column '{c}' has {n_bad} missing value(s); it is a key column (unit, time, "
                f"treatment or cohort): drop or fill those rows before estimation"
            )


def check_unique_panel(data: pd.DataFrame, entity: str, time: str) -> None:
    dup = data.duplicated([entity, time])
    if dup.any():
        first = data.loc[dup, [entity, time]].iloc[0].tolist()
        raise ValueError(
            f"{int(dup.sum())} duplicated ({entity}, {time}) rows, e.g. {first}; a panel needs one "
            f"row per unit and period"
        )


def check_binary(data: pd.DataFrame, col: str) -> None:
    vals = pd.unique(data[col].astype(float))
    if not set(vals).issubset({0.0, 1.0}):
        raise ValueError(f"column '{col}' must be a 0/1 treatment dummy; found values {sorted(vals)[:6]}")


def cohort_values(data: pd.DataFrame, cohort: str) -> np.ndarray:
    """First-treatment period per row as float; never-treated (0, NaN, +inf) become ``np.inf``."""
    if not pd.api.types.is_numeric_dtype(data[cohort]):
        raise ValueError(
            f"cohort column '{cohort}' must be numeric (the first treated period, 0 or NaN for "
            f"never treated); got dtype {data[cohort].dtype}"
        )
    g = data[cohort].to_numpy(dtype=float, na_value=np.nan)
    g = np.where(np.isnan(g) | (g == 0), np.inf, g)
    return g


def check_cohort_constant(data: pd.DataFrame, entity: str, g: np.ndarray, cohort: str) -> None:
    s = pd.Series(g, index=data.index)
    nun = s.groupby(data[entity].to_numpy()).nunique()
    if (nun > 1).any():
        bad = nun[nun > 1].index[0]
        raise ValueError(f"cohort column '{cohort}' varies within unit {bad!r}; it must be constant per unit")


def dropna_rows(data: pd.DataFrame, cols: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Listwise deletion on outcome / controls (the rows a regression would drop)."""
    mask = data[list(cols)].notna().all(axis=1)
    return data.loc[mask], int((~mask).sum())


def apply_exclude(data: pd.DataFrame, exclude: Any) -> tuple[pd.DataFrame, int]:
    """Drop rows flagged by ``exclude``: a boolean column name, a boolean array/Series aligned with
    ``data``, or a mapping ``{column: values_to_drop}``. Returns the kept rows and the count dropped."""
    if exclude is None:
        return data, 0
    if isinstance(exclude, str):
        check_columns(data, [exclude], no_nan=[exclude])
        mask = data[exclude].astype(bool).to_numpy()
    elif isinstance(exclude, dict):
        check_columns(data, list(exclude))
        mask = np.zeros(len(data), dtype=bool)
        for col, vals in exclude.items():
            vals = [vals] if np.isscalar(vals) else list(vals)
            mask |= data[col].isin(vals).to_numpy()
    else:
        mask = np.asarray(exclude)
        if mask.shape != (len(data),) or mask.dtype != bool:
            raise ValueError(
                "exclude must be a boolean column name, a boolean array with one entry per row of "
                "data, or a mapping {column: values_to_drop}"
            )
    return data.loc[~mask], int(mask.sum())


def prepare_cohort_panel(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                         controls: Sequence[str], cluster: str | None, exclude: Any
                         ) -> tuple[pd.DataFrame, int, int]:
    """What every cohort-based DID estimator does first: the columns exist and are numeric where they
    must be, ``exclude`` is applied, there is one row per entity-period, the cohort is constant within
    each entity, and rows with a missing outcome or control are dropped (listwise).

    Returns the cleaned frame with the cohort's first treated period (inf for never treated) in
    column ``_g``, the number of rows excluded, and the number dropped for missing values.
    """
    check_columns(data, [y, entity, time, cohort, *controls, cluster],
                  numeric=[y, time, *controls], no_nan=[entity, time, cluster])
    df, n_excl = apply_exclude(data, exclude)
    check_unique_panel(df, entity, time)
    g = cohort_values(df, cohort)
    check_cohort_constant(df, entity, g, cohort)
    df, n_na = dropna_rows(df.assign(_g=g), [y, *controls])
    return df, n_excl, n_na


# ---------------------------------------------------------------- fixed effects


def factorize(values: Any) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), len(uniques)


def _indicator(codes: np.ndarray, n_levels: int) -> sp.csr_matrix:
    n = len(codes)
    return sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, n_levels))


@dataclass
class Demeaner:
    """Within transformation for one or more FE, reusable across many columns.

    With one FE (or a balanced two-way panel) a single sweep is exact. For an unbalanced two-way
    panel the projection is exact too, by partitioned regression: sweep out the FE with more
    levels (``M_A``), then regress on the other FE's demeaned dummies ``B_a = M_A B`` through the
    small ``(B_a'B_a)^+`` (a pseudo-inverse, so disconnected panels are handled).
    Three or more FE alternate projections until the largest change is below ``tol``. Columns are
    handled as one matrix, so demeaning 1,000 placebo treatment columns costs a few sparse products.
    """

    fe_codes: Sequence[np.ndarray]
    tol: float = 1e-10
    max_iter: int = 10_000
    _mats: list = field(default_factory=list, init=False, repr=False)
    _counts: list = field(default_factory=list, init=False, repr=False)
    n_levels: list = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        for codes in self.fe_codes:
            n_lev = int(codes.max()) + 1 if len(codes) else 0
            M = _indicator(codes, n_lev)
            self._mats.append((M, M.T.tocsr()))
            self._counts.append(np.bincount(codes, minlength=n_lev).astype(float))
            self.n_levels.append(n_lev)
        self.balanced = False
        if len(self.fe_codes) == 2:
            # balanced two-way panel: every (i, t) cell observed exactly once -> one sweep is exact
            a, b = self.fe_codes
            cells = a * (self.n_levels[1]) + b
            self.balanced = len(np.unique(cells)) == len(a) == self.n_levels[0] * self.n_levels[1]
            self._partitioned = None
            small = int(np.argmin(self.n_levels))
            if not self.balanced and self.n_levels[small] <= 2_000:
                big = 1 - small
                (Mb, Mbt), cb = self._mats[big], self._counts[big]
                B = self._mats[small][0].toarray()
                B_a = B - Mb @ ((Mbt @ B) / cb[:, None])
                S = B_a.T @ B_a
                w, V = np.linalg.eigh(S)
                keep = w > 1e-10 * max(w.max(), 1e-300)
                S_pinv = (V[:, keep] / w[keep]) @ V[:, keep].T
                self._partitioned = (big, B_a, S_pinv)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=float, copy=True)
        vec = X.ndim == 1
        if vec:
            X = X[:, None]
        if not self.fe_codes:
            return X[:, 0] if vec else X
        if len(self.fe_codes) == 1 or self.balanced:
            for (M, Mt), cnt in zip(self._mats, self._counts):
                X -= M @ ((Mt @ X) / cnt[:, None])
            return X[:, 0] if vec else X
        if len(self.fe_codes) == 2 and self._partitioned is not None:
            big, B_a, S_pinv = self._partitioned
            (Mb, Mbt), cb = self._mats[big], self._counts[big]
            X -= Mb @ ((Mbt @ X) / cb[:, None])
            X -= B_a @ (S_pinv @ (B_a.T @ X))
            return X[:, 0] if vec else X
        scale = np.maximum(np.abs(X).max(axis=0), 1.0)
        for _ in range(self.max_iter):
            X_old = X.copy()
            for (M, Mt), cnt in zip(self._mats, self._counts):
                X -= M @ ((Mt @ X) / cnt[:, None])
            if np.max(np.abs(X - X_old).max(axis=0) / scale) < self.tol:
                break
        else:  # pragma: no cover - pathological designs
            raise ValueError("fixed-effect demeaning did not converge; check for disconnected panels")
        return X[:, 0] if vec else X


# ---------------------------------------------------------------- OLS with absorbed FE


@dataclass(frozen=True)
class FEFit:
    params: np.ndarray
    vcov: np.ndarray
    resid: np.ndarray
    df_resid: float
    df_k: int
    nobs: int
    n_clusters: int | None
    r2_within: float
    tss_within: float


def _is_nested(fe: np.ndarray, clusters: np.ndarray) -> bool:
    """True if every level of ``fe`` lies inside a single cluster."""
    pairs = pd.DataFrame({"f": fe, "c": clusters}).drop_duplicates()
    return bool(pairs["f"].is_unique)


def ols_within(y_t: np.ndarray, X_t: np.ndarray, *, fe_codes: Sequence[np.ndarray],
               n_levels: Sequence[int], cluster_codes: np.ndarray | None,
               names: Sequence[str]) -> FEFit:
    """OLS on demeaned data with HC1 or CRV1 variance (conventions in the module docstring)."""
    n, k = X_t.shape
    XtX = X_t.T @ X_t
    # rank check on the correlation-scaled cross-product (cheap, scale-free)
    scale = np.sqrt(np.clip(np.diag(XtX), 1e-300, None))
    eig = np.linalg.eigvalsh(XtX / np.outer(scale, scale)) if k else np.ones(1)
    if k and (np.diag(XtX).min() <= 1e-12 * max(1.0, float(np.abs(X_t).max()) ** 2) or eig.min() < 1e-10):
        # find a culprit for the message: a column with no within variation or a collinear one
        zero = [names[j] for j in range(k) if np.allclose(X_t[:, j], 0.0)]
        what = (f"{zero} has no variation after removing the fixed effects" if zero
                else f"the regressors {list(names)} are collinear after removing the fixed effects")
        raise ValueError(f"singular design: {what}; drop or redefine that regressor")
    bread = np.linalg.inv(XtX)
    beta = bread @ (X_t.T @ y_t)
    e = y_t - X_t @ beta
    n_fe = len(fe_codes)
    k_fe = int(sum(n_levels))
    k_fe_adj = k_fe - (n_fe - 1) if n_fe > 1 else k_fe
    if cluster_codes is None:
        df_k = k + k_fe_adj
        meat = (X_t * (e**2)[:, None]).T @ X_t
        adj = n / (n - df_k)
        df_t = n - df_k
        G = None
    else:
        G = int(cluster_codes.max()) + 1
        nested = [_is_nested(c, cluster_codes) for c in fe_codes]
        k_nested = int(sum(lv for lv, nst in zip(n_levels, nested) if nst))
        n_fully = int(sum(nested))
        df_k = k + k_fe_adj - k_nested + n_fully if k_nested else k + k_fe_adj
        summer = sp.csr_matrix((np.ones(n), (cluster_codes, np.arange(n))), shape=(G, n))
        scores = np.asarray(summer @ (X_t * e[:, None]))
        meat = scores.T @ scores
        adj = G / (G - 1) * (n - 1) / (n - df_k)
        df_t = G - 1
    vcov = adj * bread @ meat @ bread
    tss = float(np.sum((y_t - y_t.mean()) ** 2)) if n else np.nan
    r2w = 1.0 - float(e @ e) / float(y_t @ y_t) if float(y_t @ y_t) > 0 else np.nan
    return FEFit(beta, vcov, e, float(df_t), int(df_k), n, G, r2w, tss)


def fit_fe_ols(df: pd.DataFrame, *, y: str, regressors: Sequence[str], fe: Sequence[str],
               cluster: str | None, model: str, info: dict | None = None,
               extra_stats: dict | None = None) -> tuple[EstimationResult, FEFit, Demeaner]:
    """Fit ``y ~ regressors | fe`` on a clean frame and wrap it in an `EstimationResult`."""
    fe_codes, n_levels = [], []
    for f in fe:
        c, nl = factorize(df[f].to_numpy())
        fe_codes.append(c)
        n_levels.append(nl)
    dm = Demeaner(fe_codes)
    cols = [y, *regressors]
    Z = dm(df[cols].to_numpy(dtype=float))
    cl = factorize(df[cluster].to_numpy())[0] if cluster is not None else None
    fit = ols_within(Z[:, 0], Z[:, 1:], fe_codes=fe_codes, n_levels=n_levels, cluster_codes=cl,
                     names=list(regressors))
    names = list(regressors)
    # overall R2 (fixed effects count as fitted) and its adjusted version, pyfixest/fixest
    # convention: adj = 1 - (1 - R2) (N - 1) / (N - k - sum(levels - 1) - 1)
    y_raw = df[y].to_numpy(dtype=float)
    ssr = float(fit.resid @ fit.resid)
    tss = float(np.sum((y_raw - y_raw.mean()) ** 2))
    k_fe = sum(nl - 1 for nl in n_levels) + 1
    r2 = 1.0 - ssr / tss if tss > 0 else np.nan
    adj_r2 = 1.0 - (ssr / tss) * (fit.nobs - 1) / (fit.nobs - len(names) - k_fe) if tss > 0 else np.nan
    stats = {R2: r2, ADJ_R2: adj_r2, R2_WITHIN: fit.r2_within}
    if fit.n_clusters is not None:
        stats[N_CLUSTERS] = int(fit.n_clusters)
    if extra_stats:
        stats.update(extra_stats)
    meta = {"dep_var": y, "fe": list(fe), "cluster": cluster,
            "vcov": "CR1" if cluster else "HC1", "df_k": fit.df_k}
    if info:
        meta.update(info)
    res = EstimationResult(
        params=pd.Series(fit.params, index=names),
        bse=pd.Series(np.sqrt(np.diag(fit.vcov)), index=names),
        nobs=fit.nobs, model=model, df_resid=fit.df_resid, stats=stats, info=meta,
        cov=pd.DataFrame(fit.vcov, index=names, columns=names),
    )
    return res, fit, dm
