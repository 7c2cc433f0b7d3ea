"""Spatial panels as arrays: validation, balancing and alignment with W, within demeaning and spatial lags.

A balanced panel is held time-major as ``y`` (T, N) and ``X`` (T, N, k), entities in the order of the
weights (``weights.align_weights`` checks the ids, never assumes them). ``demean_panel`` removes
individual, time or two-way effects of a balanced (T, N, ...) array by means over the other axis,
the exact within transformation of a balanced panel (the spatial ML estimators then apply the
Lee-Yu transformation; the regression estimators use ``analysis.estimators.fixed_effects``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.inputs import DEFAULT_MISSING, drop_missing, require_columns
from analysis.estimators.spatial.weights import AlignedWeights, align_weights

MODELS = ("sar", "sdm", "sem", "sdem", "slx", "ols")
EFFECTS = ("individual", "time", "twoways", "none", "random")
LAG_MODELS = ("sar", "sdm")
ERROR_MODELS = ("sem", "sdem")
DURBIN_MODELS = ("sdm", "sdem", "slx")

__all__ = ["PanelData", "prepare_panel", "demean_panel", "spatial_lag", "MODELS", "EFFECTS", "LAG_MODELS",
           "ERROR_MODELS", "DURBIN_MODELS"]


@dataclass(frozen=True)
class PanelData:
    """A balanced panel in arrays: ``y`` (T, N), ``X`` (T, N, k); entities in the order of ``w``."""

    y: np.ndarray
    X: np.ndarray
    x_names: tuple
    y_name: str
    entities: tuple
    times: tuple
    w: AlignedWeights
    n_dropped_na: int = 0  # rows dropped for missing values before balancing (missing="drop")

    @property
    def n(self) -> int:
        return self.y.shape[1]

    @property
    def t(self) -> int:
        return self.y.shape[0]


def prepare_panel(
    data: pd.DataFrame,
    *,
    y: str,
    x: Sequence[str],
    w: Any,
    entity: str,
    time: str,
    w_ids: Sequence | None = None,
    missing: str = DEFAULT_MISSING,
    who: str = "fit_spatial_panel",
) -> PanelData:
    """Validate ``data`` and reshape it into a balanced (T, N) panel aligned to ``w``.

    ``missing`` is the policy of every estimator (``analysis.estimators.inputs``): ``"drop"`` drops rows
    missing ``y``, an ``x`` or a key, with a warning and the count in ``n_dropped_na`` (a period missing
    for every entity leaves whole; a scattered gap leaves the panel unbalanced, which is refused);
    ``"raise"`` refuses missing values. Raises ``ValueError`` for unknown or non-numeric columns,
    infinite values, duplicated entity-periods, an unbalanced panel, and weights whose ids do not match
    the entities.
    """
    if isinstance(x, str):
        x = [x]
    x = list(x)
    if not x:
        raise ValueError("x is empty: give at least one explanatory variable")
    if y in x:
        raise ValueError(f"the dependent variable {y!r} is also listed in x")
    require_columns(data, [y, *x, entity, time], who=who)
    for c in [y, *x]:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            raise ValueError(f"column {c!r} is not numeric (dtype {data[c].dtype}); convert it with pd.to_numeric")
    data, n_na = drop_missing(data, [y, *x, entity, time], missing=missing, who=who)
    inf_cols = [c for c in [y, *x] if not np.all(np.isfinite(data[c].to_numpy(float)))]
    if inf_cols:
        raise ValueError(f"infinite values in {inf_cols} (log of zero?)")
    units = pd.unique(data[entity])
    times = np.sort(pd.unique(data[time]))
    try:
        order = _id_order(w, w_ids, units)
    except AttributeError:  # bare matrix without ids: align_weights explains what to pass
        order = sorted(units.tolist())
    aligned = align_weights(w, order, w_ids=w_ids)
    T, N = len(times), len(aligned.ids)
    ent_pos = pd.Index(aligned.ids).get_indexer(data[entity])
    time_pos = np.searchsorted(times, data[time].to_numpy())
    cell = time_pos * N + ent_pos
    if len(data) != T * N or np.bincount(cell, minlength=T * N).max() > 1:
        dup = data.duplicated([entity, time])
        if dup.any():
            ex = data.loc[dup, [entity, time]].head(3).to_dict("records")
            raise ValueError(f"{int(dup.sum())} duplicated ({entity}, {time}) rows, e.g. {ex}")
        counts = data.groupby(entity).size()
        short = counts[counts < T].head(5).to_dict()
        raise ValueError(
            f"unbalanced panel: {len(data)} rows for {N} units x {T} periods; "
            f"units with missing periods (count of periods): {short}. Balance the panel first"
            + (f" (after dropping {n_na} rows with missing values; keep whole units or periods, or impute)"
               if n_na else "")
        )
    values = np.empty((T * N, 1 + len(x)))
    values[cell] = data[[y, *x]].to_numpy(float)
    values = values.reshape(T, N, 1 + len(x))
    Y, X = values[:, :, 0].copy(), values[:, :, 1:].copy()
    return PanelData(y=Y, X=X, x_names=tuple(x), y_name=y, entities=tuple(order), times=tuple(times), w=aligned,
                     n_dropped_na=n_na)


def _id_order(w: Any, w_ids: Sequence | None, units: np.ndarray) -> list:
    """Entity order = the order of w's ids (restricted check happens in align_weights)."""
    if w_ids is not None:
        ids = list(w_ids)
    elif isinstance(w, AlignedWeights):
        ids = list(w.ids)
    elif isinstance(w, pd.DataFrame):
        ids = list(w.index)
    else:
        ids = list(w.id_order)
    unit_set = set(units.tolist())
    if set(ids) != unit_set:
        return sorted(unit_set)  # align_weights reports the mismatch
    return ids


def demean_panel(A: np.ndarray, effects: str) -> np.ndarray:
    """Remove fixed effects from a (T, N, ...) array by within-demeaning."""
    if effects == "individual":
        return A - A.mean(axis=0, keepdims=True)
    if effects == "time":
        return A - A.mean(axis=1, keepdims=True)
    if effects == "twoways":
        return A - A.mean(axis=0, keepdims=True) - A.mean(axis=1, keepdims=True) + A.mean(axis=(0, 1), keepdims=True)
    return A


def spatial_lag(W, A: np.ndarray) -> np.ndarray:
    """Apply W to every period of a (T, N) or (T, N, k) array."""
    T, N = A.shape[:2]
    flat = np.moveaxis(A, 1, 0).reshape(N, -1)
    return np.moveaxis(np.asarray(W @ flat).reshape((N, T) + A.shape[2:]), 0, 1)
