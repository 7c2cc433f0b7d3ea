"""The reference implementation of entropy weights that the tests compare the dbt macro against.

Entropy weights have one home: the dbt macro ``entropy_weights`` (``dbt_project/macros/entropy_weights.sql``),
which builds the pollution indices of ``mart_pollution_index`` (study 000's three-pollutant index, study
001's CO2 + PM2.5 index) and the digitalisation index. This module is not part of the ``analysis``
package: it is the independent NumPy computation that ``tests/measures/test_entropy.py`` checks by hand
on Elsayed et al.'s matrix and then holds the macro to (``test_python_and_dbt_macro_agree``, and
``tests/dbt/test_build.py`` on the built marts).

The entropy-weight method (Shannon 1948; in this form e.g. Zou, Yun & Sun 2006, and the
formulas printed in studies 000 eq. (2)-(6) and 001 eq. (10)-(20)) for n observations and
criteria j = 1..k:

1. standardise each criterion to [0, 1] (``standardise="minmax"``)::

       positive  x_ij = (r_ij - min_j) / (max_j - min_j)
       negative  x_ij = (max_j - r_ij) / (max_j - min_j)

   values below ``epsilon`` (the exact zeros, in practice) are set to ``epsilon`` (study 001:
   "standardized 0 set to 0.00001"; the dbt macro ``entropy_weights`` does the same,
   ``greatest(x, epsilon)``) so that ``ln p`` is defined (``zero="replace"``), or every x is shifted
   by epsilon (``zero="shift"``);
   ``standardise="none"`` uses the raw (positive) values, the classic MCDM variant;
2. shares ``p_ij = x_ij / sum_i x_ij``;
3. entropy ``e_j = -(1 / ln n) sum_i p_ij ln p_ij`` (``0 ln 0 = 0``);
4. divergence ``d_j = 1 - e_j`` and weights ``w_j = d_j / sum_k d_k``;
5. index ``I_i = sum_j w_j x_ij`` (on the standardised values, as both studies print).

Conventions that change numbers: min/max, shares and n are taken over the pooled sample
(``pooling="all"``, study 001: "r_max/r_min over all observations", N = sample size) or within each
year (``pooling="by_year"``: one set of weights per year); the epsilon rule; and the direction of each
criterion. Study 000 prints its three pollutants as *negative* criteria, so its index is higher
when pollution is lower (a reversed index); pass ``direction={...: "positive"}`` for the defensible
"higher = more pollution" reading, or "negative" for the printed one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["EntropyResult", "entropy_weights", "study_entropy_index", "STUDY_INDICES"]


@dataclass(frozen=True)
class EntropyResult:
    """Weights, index and intermediate quantities of :func:`entropy_weights`.

    ``weights``: Series by criterion (``pooling="all"``) or DataFrame year x criterion (``"by_year"``).
    ``index``: Series aligned to the input rows. ``standardised``: the x_ij used in the index.
    ``entropy`` / ``divergence``: e_j and d_j = 1 - e_j (same shape as ``weights``).
    """

    weights: pd.Series | pd.DataFrame
    index: pd.Series
    standardised: pd.DataFrame
    entropy: pd.Series | pd.DataFrame
    divergence: pd.Series | pd.DataFrame


def _check(df: pd.DataFrame, columns: Sequence[str], direction: Mapping[str, str],
           year_col: str | None, pooling: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError("entropy_weights: `df` must be a pandas DataFrame")
    cols = list(columns)
    if len(cols) < 2:
        raise ValueError("entropy_weights: give at least two criteria in `columns`")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"entropy_weights: column(s) {missing} not in the data; available: {list(df.columns)}")
    for c in cols:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise ValueError(f"entropy_weights: column {c!r} is not numeric (dtype {df[c].dtype}); convert it first")
        if df[c].isna().any():
            raise ValueError(
                f"entropy_weights: column {c!r} has {int(df[c].isna().sum())} missing value(s); "
                "impute or drop those rows before building the index"
            )
        if not np.isfinite(df[c].to_numpy(dtype=float)).all():
            raise ValueError(f"entropy_weights: column {c!r} has infinite values")
    bad = {c: v for c, v in direction.items() if v not in ("positive", "negative")}
    if bad:
        raise ValueError(f"entropy_weights: direction must be 'positive' or 'negative', got {bad}")
    unknown = set(direction) - set(cols)
    if unknown:
        raise ValueError(f"entropy_weights: direction given for column(s) {sorted(unknown)} not in `columns`")
    if pooling not in ("all", "by_year"):
        raise ValueError("entropy_weights: pooling must be 'all' or 'by_year'")
    if pooling == "by_year":
        if year_col is None or year_col not in df.columns:
            raise ValueError("entropy_weights: pooling='by_year' needs `year_col` naming a column of the data")
        if df[year_col].isna().any():
            raise ValueError(f"entropy_weights: year column {year_col!r} has missing values")


def _weights_block(r: np.ndarray, signs: np.ndarray, standardise: str, zero: str, epsilon: float,
                   columns: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pooling block: returns (x, e, d, w) for raw values r (n x k)."""
    n = r.shape[0]
    if n < 2:
        raise ValueError("entropy_weights: each pooling block needs at least two observations")
    if standardise == "minmax":
        lo, hi = r.min(axis=0), r.max(axis=0)
        span = hi - lo
        const = span == 0
        if const.any():
            names = [columns[j] for j in np.flatnonzero(const)]
            raise ValueError(f"entropy_weights: column(s) {names} are constant within a pooling block; "
                             "drop them (they carry no information)")
        x = np.where(signs > 0, (r - lo) / span, (hi - r) / span)
    elif standardise == "none":
        if (r < 0).any():
            raise ValueError("entropy_weights: standardise='none' needs non-negative values")
        x = r.copy()
    else:
        raise ValueError("entropy_weights: standardise must be 'minmax' or 'none'")
    if zero == "replace":
        x = np.maximum(x, epsilon)
    elif zero == "shift":
        x = x + epsilon
    elif zero != "none":
        raise ValueError("entropy_weights: zero must be 'replace', 'shift' or 'none'")
    p = x / x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    w = d / d.sum()
    return x, e, d, w


def entropy_weights(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    direction: Mapping[str, Literal["positive", "negative"]] | None = None,
    pooling: Literal["all", "by_year"] = "all",
    epsilon: float = 1e-5,
    year_col: str | None = None,
    standardise: Literal["minmax", "none"] = "minmax",
    zero: Literal["replace", "shift", "none"] = "replace",
) -> EntropyResult:
    """Entropy weights and the weighted index (see the module docstring for the equations).

    Parameters
    ----------
    df : data, one row per observation (city-year).
    columns : the criteria.
    direction : ``{column: "positive" | "negative"}``; columns not named are positive.
    pooling : ``"all"`` (one set of weights over all rows, study 001) or ``"by_year"``.
    epsilon : floor of the standardised data (``zero="replace"``: exact zeros become epsilon) or the shift.
    year_col : year column, required for ``pooling="by_year"``.
    standardise : ``"minmax"`` (both studies) or ``"none"`` (raw shares, classic MCDM form).
    zero : ``"replace"`` (study 001), ``"shift"`` or ``"none"``.
    """
    direction = dict(direction or {})
    cols = list(columns)
    _check(df, cols, direction, year_col, pooling)
    signs = np.array([1.0 if direction.get(c, "positive") == "positive" else -1.0 for c in cols])
    r = df[cols].to_numpy(dtype=float)

    if pooling == "all":
        x, e, d, w = _weights_block(r, signs, standardise, zero, epsilon, cols)
        std = pd.DataFrame(x, index=df.index, columns=cols)
        index = pd.Series(x @ w, index=df.index, name="entropy_index")
        return EntropyResult(
            weights=pd.Series(w, index=cols, name="weight"),
            index=index,
            standardised=std,
            entropy=pd.Series(e, index=cols, name="entropy"),
            divergence=pd.Series(d, index=cols, name="divergence"),
        )

    x_all = np.empty_like(r)
    idx_all = np.empty(r.shape[0])
    ws, es, ds, years = [], [], [], []
    yv = df[year_col].to_numpy()
    for year in pd.unique(yv):
        rows = np.flatnonzero(yv == year)
        x, e, d, w = _weights_block(r[rows], signs, standardise, zero, epsilon, cols)
        x_all[rows] = x
        idx_all[rows] = x @ w
        ws.append(w), es.append(e), ds.append(d), years.append(year)
    order = np.argsort(years)
    yidx = pd.Index(np.asarray(years)[order], name=year_col)

    def frame(a: list) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(a)[order], index=yidx, columns=cols)

    return EntropyResult(
        weights=frame(ws),
        index=pd.Series(idx_all, index=df.index, name="entropy_index"),
        standardised=pd.DataFrame(x_all, index=df.index, columns=cols),
        entropy=frame(es),
        divergence=frame(ds),
    )


# The two entropy indices of the studies (variables sections of analysis/replications/published/s000.yaml, s001.yaml).
STUDY_INDICES: dict[str, dict] = {
    # study 000: wastewater, SO2, smoke & dust, eq. (2)-(6); printed as negative criteria (higher =
    # cleaner, the reversed normalisation noted in SPEC section 6); no epsilon rule printed.
    "000": dict(n_criteria=3, printed_direction="negative", zero="none", epsilon=0.0),
    # study 001: CO2 and PM2.5, eq. (10)-(20); positive criteria, zeros set to 0.00001, pooled.
    "001": dict(n_criteria=2, printed_direction="positive", zero="replace", epsilon=1e-5),
}


def study_entropy_index(
    df: pd.DataFrame,
    study: Literal["000", "001"],
    columns: Sequence[str],
    *,
    printed: bool = False,
    pooling: Literal["all", "by_year"] = "all",
    year_col: str | None = None,
) -> EntropyResult:
    """The pollution index of study 000 (three pollutants) or study 001 (CO2, PM2.5).

    ``printed=False`` (default, the defensible reading): every pollutant is a positive criterion, so
    a higher index means more pollution in both studies. ``printed=True`` reproduces study 000's
    negative-criterion standardisation (higher = cleaner); for study 001 both readings coincide.
    Both studies pool all city-years (min/max and shares over the whole sample).
    """
    if study not in STUDY_INDICES:
        raise ValueError(f"study_entropy_index: study must be one of {sorted(STUDY_INDICES)}")
    spec = STUDY_INDICES[study]
    cols = list(columns)
    if len(cols) != spec["n_criteria"]:
        raise ValueError(f"study_entropy_index: study {study} combines {spec['n_criteria']} pollutants, got {cols}")
    sign = spec["printed_direction"] if printed else "positive"
    return entropy_weights(df, cols, direction={c: sign for c in cols}, pooling=pooling, year_col=year_col,
                           epsilon=spec["epsilon"], zero=spec["zero"])
