"""Private core of the DID family: input checks, the cohort panel, and OLS with unit and period effects.

Everything in ``did*.py`` runs through these few functions, and they run through the fixed-effects
engine (``analysis.estimators.fixed_effects``), where the conventions that change numbers are
documented once: exact within transformation (one sweep on a balanced panel, the partitioned
projection on an unbalanced two-way panel, so the slopes equal the dummy-variable regression's),
HC1 without ``cluster`` and CR1 with it (pyfixest's ``ssc(k_adj=True, k_fixef="nonnested",
G_adj=True, G_df="min")``, t with G - 1 df), R2 / adj_R2 / R2_within.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.base import EstimationResult
from analysis.estimators.fixed_effects import Demeaner, fit_within, within_design
from analysis.estimators.inputs import DEFAULT_MISSING, drop_missing, require_columns

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
                  no_nan: Iterable[str] = (), who: str = "") -> None:
    """Raise one clear ValueError for unknown columns (with the closest names), non-numeric ``numeric`` ones
    and missing values in ``no_nan`` (columns whose missing values no policy can drop: an ``exclude`` flag).
    Missing values of the model's columns are the policy's (``analysis.estimators.inputs.drop_missing``)."""
    require_columns(data, columns, who=who)
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
            raise ValueError(f"column '{c}' has {n_bad} missing value(s); fill them (True/False) before estimation")


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


def checked_cohorts(data: pd.DataFrame, entity: str, time: str, cohort: str) -> np.ndarray:
    """One row per entity-period and a cohort constant within each entity; returns the first treated
    period of every row (``np.inf`` for never treated)."""
    check_unique_panel(data, entity, time)
    g = cohort_values(data, cohort)
    check_cohort_constant(data, entity, g, cohort)
    return g


def prepare_cohort_panel(data: pd.DataFrame, *, y: str, entity: str, time: str, cohort: str,
                         controls: Sequence[str], cluster: str | None, exclude: Any,
                         missing: str = DEFAULT_MISSING, who: str = "") -> tuple[pd.DataFrame, int, int]:
    """What every cohort-based DID estimator does first: the columns exist and are numeric where they
    must be, ``exclude`` is applied, the missing-values policy ``missing`` is applied over the outcome,
    controls, keys and cluster (not the cohort, whose missing value means never treated), there is one row
    per entity-period and the cohort is constant within each entity.

    Returns the cleaned frame with the cohort's first treated period (inf for never treated) in
    column ``_g``, the number of rows excluded, and the number dropped for missing values.
    """
    check_columns(data, [y, entity, time, cohort, *controls, cluster], numeric=[y, time, *controls], who=who)
    df, n_excl = apply_exclude(data, exclude)
    df, n_na = drop_missing(df, [y, entity, time, *controls, cluster], missing=missing, who=who)
    g = checked_cohorts(df, entity, time, cohort)
    return df.assign(_g=g), n_excl, n_na


# ---------------------------------------------------------------- OLS with absorbed FE


def fit_fe_ols(df: pd.DataFrame, *, y: str, regressors: Sequence[str], fe: Sequence[str],
               cluster: str | None, model: str, info: dict | None = None,
               extra_stats: dict | None = None) -> tuple[EstimationResult, Demeaner]:
    """Fit ``y ~ regressors | fe`` on a clean frame with the engine (HC1 without ``cluster``, CR1 with
    it): the result and the demeaner, reusable on more columns (the placebo draws)."""
    design = within_design(df, y=y, regressors=regressors, fe=fe, cluster=cluster)
    return fit_within(design, model=model, info=info, stats=extra_stats), design.demeaner
