"""The statistic rows of a replicated table and the matching of our columns to the printed ones.

A study prints statistic rows under its coefficients (``N``, ``R²``, ``Controls``, ``City fixed``, ``F``,
``AR(2)``, ``Hansen test`` ...). :func:`stat_value` gives our value for a printed row, recognised by
its printed name; :func:`printed_n` reads the printed N of a column and :func:`coverage_note` says why
ours differs (this world's units x years).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from analysis.estimators import EstimationResult
from analysis.estimators.statistics import (
    ADJ_R2,
    ANDERSON_RUBIN_P,
    EFFECTIVE_F,
    AR1_P,
    AR2_P,
    CRAGG_DONALD_F,
    HANSEN_J_P,
    KP_RK_LM,
    N_NAMES,
    KP_RK_WALD_F,
    PERM_P,
    R2,
    R2_WITHIN,
    WILD_P,
)
from analysis.replications.adapters import Adapter
from analysis.replications.adapters.threshold import THRESHOLDS
from analysis.replications.spec import ColumnSpec, StudySpec

__all__ = ["N_ROWS", "R2_ROWS", "STATISTIC_ROWS", "CR1_P_ROW", "R2_KIND", "stat_value", "printed_n", "coverage_note"]

N_ROWS = N_NAMES   # the printed names of the N row (one home: analysis.estimators.statistics)
R2_ROWS = ("r²", "r2", "r-squared")
# which R² a column's R² row prints: ``options["r2"]`` of the column (default the overall R²)
R2_KIND = {"overall": R2, "within": R2_WITHIN}

# printed test rows (recognised by their lower-cased printed name) -> the statistic they print
STATISTIC_ROWS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda n: "kleibergen-paap rk lm" in n, KP_RK_LM),
    (lambda n: "kleibergen-paap rk wald f" in n, KP_RK_WALD_F),
    (lambda n: "cragg-donald" in n, CRAGG_DONALD_F),
    (lambda n: n.startswith("ar(1)"), AR1_P),
    (lambda n: n.startswith("ar(2)"), AR2_P),
    (lambda n: "hansen" in n, HANSEN_J_P),
    (lambda n: "between-group" in n or "difference test" in n, PERM_P),
    (lambda n: n.startswith("wild bootstrap p"), WILD_P),
    (lambda n: n.startswith("effective f"), EFFECTIVE_F),
    (lambda n: n.startswith("anderson-rubin p"), ANDERSON_RUBIN_P),
)
CR1_P_ROW = "p (cr1)"   # the column's main coefficient's p-value from its own (CR1) covariance


def r2_statistic(col: ColumnSpec) -> str:
    """The statistic a column's R² row prints: ``R2`` or, with ``options["r2"] = "within"``, ``R2_WITHIN``."""
    kind = col.options.get("r2", "overall")
    if kind not in R2_KIND:
        raise ValueError(f"column {col.label!r}: options['r2'] is {kind!r}; use one of {', '.join(R2_KIND)}")
    return R2_KIND[kind]


def stat_value(name: str, res: EstimationResult, col: ColumnSpec, adapter: Adapter) -> Any:
    """Our value for a printed statistic row, recognised by its printed name (``adapter`` is the
    column's, see :class:`analysis.replications.adapters.Adapter` for what it says about the rows).

    A statistic row prints the statistic of its constant (:mod:`analysis.estimators.statistics`) or
    nothing: a row asking for the within R² gets the within R², never the overall one.
    """
    n = name.lower()
    s = res.stats
    if name in col.options.get("stats", {}):      # a column states this row itself (e.g. the learner)
        return col.options["stats"][name]
    if n in N_ROWS:
        return int(res.nobs)
    if n == CR1_P_ROW:
        term = adapter.main_term(col)
        return float(res.pvalues[term]) if term in res.params.index else None
    if n.startswith("control"):
        return "Yes" if col.controls else "No"
    if n == "year":
        return "Yes" if "year" in col.fe else "No"
    if n in ("province", "city"):
        return "Yes" if [f for f in col.fe if f != "year"] else "No"
    if n == "f":   # the adapter's F (an IV's first-stage F), else the Wald F of all slopes
        if adapter.f_row:
            return s.get(adapter.f_row)
        if res.cov is None:
            return None
        # b' V^-1 b / q by an LU solve: exact to rounding here, where the SVD pseudo-inverse of
        # EstimationResult.wald_test loses up to 4e-11 relative (study 003 Table 6, cond(V) ~ 3e7)
        terms = [t for t in res.params.index if t != "_cons"]
        b = res.params[terms].to_numpy()
        return float(b @ np.linalg.solve(res.cov.loc[terms, terms].to_numpy(), b) / len(terms))
    if "fixed" in n or "fe" == n:
        return "Yes" if (col.fe or adapter.implied_fixed_effects) else "No"
    if n.startswith("adj"):
        if ADJ_R2 in s:
            return s[ADJ_R2]
        k = res.info.get("df_k")
        r2 = s.get(R2)
        return 1 - (1 - r2) * (res.nobs - 1) / (res.nobs - k) if k and r2 is not None and res.nobs > k else None
    if n in R2_ROWS:
        return s.get(r2_statistic(col))
    for matches, statistic in STATISTIC_ROWS:
        if matches(n):
            return s.get(statistic)
    if n == THRESHOLDS:
        return s.get(THRESHOLDS)
    return col.options.get("stats", {}).get(name)


def printed_n(pub: Mapping | None, position: int) -> int | None:
    """The study's printed sample size of its ``position``-th column (None when not printed)."""
    for stat in (pub or {}).get("stats", []):
        if str(stat["name"]).strip().lower() in N_ROWS and position < len(stat.get("values", [])):
            try:
                return int(float(stat["values"][position]))
            except (TypeError, ValueError):
                return None
    return None


def coverage_note(label: str, data: pd.DataFrame, ours: int, study: StudySpec, printed: int | None) -> str | None:
    """Why our N differs from the printed one: the units and years of this world's estimation sample."""
    if printed is None or ours == printed:
        return None
    units, years = data[study.entity].nunique(), data["year"].nunique()
    lo, hi = int(data["year"].min()), int(data["year"].max())
    balance = "balanced" if units * years == len(data) else f"unbalanced, {len(data):,} rows"
    dropped = f"; {len(data) - ours:,} rows dropped by the estimator" if len(data) != ours else ""
    return (f"{label}: N {ours:,} vs printed {printed:,}: this world's sample has {units:,} {study.unit} units x "
            f"{years} years ({lo}-{hi}, {balance}){dropped}.")
