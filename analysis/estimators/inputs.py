"""Input checks every estimator shares: one home for the unknown-column message, the missing-values
policy and the accepted ``vcov`` forms.

**Unknown columns** (:func:`unknown_columns`): a name that is not in the data is reported with the
closest names (``difflib``), not with a list of the first columns of a wide panel.

**Missing values** (:func:`drop_missing`): every estimator takes ``missing="drop" | "raise"``.

* ``"drop"`` (the default) drops, listwise, the rows with a missing value in any column the model
  uses (outcome, regressors, controls, instruments, fixed effects, clusters, panel keys), warns with
  a :class:`MissingValuesWarning` naming each column and its count, and records the number of rows
  dropped in ``info["n_dropped_na"]``. This is what Stata, R's ``fixest`` and ``pyfixest`` do (they
  drop silently; here the count is in the result and the warning), and it is what the city panels
  need: their series end in different years (CEADs in 2021, EDGAR in 2022), so nearly every
  specification has rows to drop, and refusing by default would make every call a ``dropna`` first.
* ``"raise"`` refuses any missing value with one ``ValueError`` naming the columns and counts.

A missing value is ``NaN`` / ``None`` / ``NaT``; infinite values (the log of zero) are never dropped
silently: they stay an error. Columns whose ``NaN`` means something (a cohort column's never-treated
units) are not part of the check.

**vcov** (:func:`vcov_request`): ``None`` (HC1, or CR1 with ``cluster``), ``"iid"``, ``"hetero"``
(= ``"HC1"`` = ``"robust"``), pyfixest's dicts ``{"CRV1": "city"}`` / ``{"CRV1": "city+year"}``
(one-way / multiway clusters, the same as ``cluster="city"`` / ``cluster=["city", "year"]``), or a
``Conley(...)`` request; anything else is one error that lists these forms (``VCOV_FORMS``).
"""
from __future__ import annotations

import difflib
import sys
import warnings
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.estimators.covariance import Conley

__all__ = ["MISSING_POLICIES", "DEFAULT_MISSING", "MissingValuesWarning", "unknown_columns", "require_columns",
           "drop_missing", "check_frame", "VCOV_FORMS", "vcov_request"]

MISSING_POLICIES = ("drop", "raise")
DEFAULT_MISSING = "drop"

VCOV_FORMS = ('None (HC1; CR1 with cluster=...), "iid", "hetero" (= "HC1" = "robust"), '
              '{"CRV1": "city"}, {"CRV1": "city+year"} (multiway), Conley(cutoff_km, distances, entity, time)')
_VCOV_STRINGS = {"IID": "iid", "HETERO": "HC1", "HC1": "HC1", "ROBUST": "HC1"}


class MissingValuesWarning(UserWarning):
    """Rows were dropped for missing values (``missing="drop"``); the count is in ``info["n_dropped_na"]``."""


# ---------------------------------------------------------------- column names


def unknown_columns(data: pd.DataFrame, missing: Sequence[str], *, who: str = "", what: str = "column") -> ValueError:
    """The error for names not in ``data``: each with its closest column names (difflib), or a hint."""
    cols = [str(c) for c in data.columns]
    parts = []
    for name in missing:
        close = difflib.get_close_matches(str(name), cols, n=3, cutoff=0.6)
        if not close:  # a prefix / infix typo: 'ln_co2' for 'ln_co2_ceads_10k_t'
            close = [c for c in cols if str(name).lower() in c.lower()][:3]
        parts.append(f"{name!r} (did you mean {', '.join(map(repr, close))}?)" if close
                     else f"{name!r} (no similar name)")
    prefix = f"{who}: " if who else ""
    return ValueError(f"{prefix}{what}(s) not in the data: {'; '.join(parts)}; the data has {len(cols)} columns")


def require_columns(data: Any, columns: Iterable[str | None], *, who: str = "") -> list[str]:
    """Check that ``data`` is a DataFrame holding every name of ``columns`` (``None`` skipped); the names."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{who + ': ' if who else ''}data must be a pandas DataFrame, got {type(data).__name__}")
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise unknown_columns(data, missing, who=who)
    return cols


# ---------------------------------------------------------------- missing values


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside ``analysis.estimators`` (the user's call, whatever the depth)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("analysis.estimators"):
        frame, level = frame.f_back, level + 1
    return level


def drop_missing(data: pd.DataFrame, columns: Iterable[str | None], *, missing: str = DEFAULT_MISSING,
                 who: str = "") -> tuple[pd.DataFrame, int]:
    """Apply the missing-values policy over ``columns`` (the model's columns): the kept rows and the count dropped.

    ``missing="drop"`` drops the rows with a missing value in any of the columns (listwise) and warns,
    naming each column with its count; ``"raise"`` raises one ValueError with the same counts.
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"{who + ': ' if who else ''}missing must be one of {MISSING_POLICIES}, got {missing!r}")
    cols = require_columns(data, columns, who=who)
    na = data[cols].isna()
    counts = {c: int(n) for c, n in na.sum().items() if n}
    if not counts:
        return data, 0
    rows = na.any(axis=1)
    n_rows = int(rows.sum())
    where = ", ".join(f"{c!r}: {n}" for c, n in counts.items())
    prefix = f"{who}: " if who else ""
    if missing == "raise":
        raise ValueError(f"{prefix}missing values in {where} ({n_rows} of {len(data)} rows); drop them "
                         "(missing='drop' drops them listwise) or impute them before estimating")
    warnings.warn(f"{prefix}dropped {n_rows} of {len(data)} rows with missing values in {where} "
                  "(listwise; the count is in info['n_dropped_na']; missing='raise' refuses instead)",
                  MissingValuesWarning, stacklevel=_caller_level())
    return data.loc[~rows.to_numpy()], n_rows


def check_frame(data: pd.DataFrame, numeric: Sequence[str], keys: Sequence[str] = (), *,
                missing: str = DEFAULT_MISSING, who: str = "") -> tuple[pd.DataFrame, int]:
    """The estimation sample of a model using the ``numeric`` columns and the ``keys`` (fixed effects,
    clusters, panel keys): the columns exist, ``numeric`` ones are numeric (booleans allowed), the
    missing-values policy is applied over all of them, and no infinite value remains.

    Returns the kept rows and the number dropped for missing values.
    """
    cols = require_columns(data, [*numeric, *keys], who=who)
    prefix = f"{who}: " if who else ""
    for c in numeric:
        s = data[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise ValueError(
                f"{prefix}column {c!r} is not numeric (dtype {s.dtype}); convert it, e.g. "
                f"pd.to_numeric(data[{c!r}], errors='coerce'), and drop the rows that fail"
            )
    data, n_na = drop_missing(data, cols, missing=missing, who=who)
    for c in dict.fromkeys(numeric):
        n_inf = int(np.isinf(data[c].to_numpy(dtype=float)).sum())
        if n_inf:
            raise ValueError(f"{prefix}column {c!r} has {n_inf} infinite value(s) (the log of zero?); "
                             "drop or recode those rows before estimating")
    return data, n_na


# ---------------------------------------------------------------- vcov


def vcov_request(cluster: str | Sequence[str] | None, vcov: Any) -> tuple[str | list[str] | None, Any]:
    """Normalise the ``cluster`` / ``vcov`` arguments: pyfixest's ``{"CRV1": "a+b"}`` becomes
    ``cluster=["a", "b"]``; a string is one of "iid" / "HC1" (also "hetero", "robust"); a ``Conley``
    request passes. Returns ``(cluster, vcov)``; any other form is one ValueError listing ``VCOV_FORMS``."""
    bad = ValueError(f"vcov={vcov!r} is not an accepted form; use one of: {VCOV_FORMS}")
    if vcov is None or isinstance(vcov, Conley):
        return cluster, vcov
    if isinstance(vcov, dict):
        if len(vcov) != 1:
            raise bad
        (kind, spec), = vcov.items()
        if str(kind).upper() != "CRV1" or not spec:
            raise bad
        if cluster is not None:
            raise ValueError(f"give the clusters once: cluster={cluster!r} or vcov={vcov!r}, not both")
        names = [s.strip() for s in spec.split("+")] if isinstance(spec, str) else list(spec)
        if not all(isinstance(n, str) and n for n in names):
            raise bad
        return (names[0] if len(names) == 1 else names), None
    if isinstance(vcov, str) and vcov.upper() in _VCOV_STRINGS:
        return cluster, _VCOV_STRINGS[vcov.upper()]
    raise bad
