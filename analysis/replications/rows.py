"""The statistic rows of a replicated table and the matching of our columns to the printed ones.

A study prints statistic rows under its coefficients (``N``, ``R²``, ``Controls``, ``City fixed``, ``F``,
``AR(2)``, ``Hansen test`` ...). :func:`stat_value` gives our value for a printed row, recognised by
its printed name; :func:`printed_n` reads the printed N of a column and :func:`coverage_note` says why
ours differs (this world's units x years).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from analysis.estimators import EstimationResult
from analysis.estimators.statistics import ADJ_R2
from analysis.replications.adapters import Adapter
from analysis.replications.spec import ColumnSpec, StudySpec

__all__ = ["N_ROWS", "stat_value", "printed_n", "coverage_note"]

N_ROWS = ("n", "obs", "observations", "obs.", "number of observations")


def stat_value(name: str, res: EstimationResult, col: ColumnSpec, adapter: Adapter) -> Any:
    """Our value for a printed statistic row, recognised by its printed name (``adapter`` is the
    column's, see :class:`analysis.replications.adapters.Adapter` for what it says about the rows)."""
    n = name.lower()
    s = res.stats
    if name in col.options.get("stats", {}):      # a column states this row itself (e.g. the learner)
        return col.options["stats"][name]
    if n in ("obs", "observations"):
        return int(res.nobs)
    if n.startswith("control"):
        return "Yes" if col.controls else "No"
    if n == "year":
        return "Yes" if "year" in col.fe else "No"
    if n in ("province", "city"):
        return "Yes" if [f for f in col.fe if f != "year"] else "No"
    if n == "f":   # first-stage F of the excluded instruments for IV, else the Wald F of all slopes
        if adapter.f_row:
            return s.get(adapter.f_row)
        V = res.cov
        if V is None:
            return None
        terms = [t for t in V.index if t != "_cons"]
        b = res.params[terms].to_numpy()
        return float(b @ np.linalg.solve(V.loc[terms, terms].to_numpy(), b) / len(terms))
    if "fixed" in n or "fe" == n:
        return "Yes" if (col.fe or adapter.implied_fixed_effects) else "No"
    if n.startswith("adj"):
        if ADJ_R2 in s:
            return s[ADJ_R2]
        k = res.info.get("df_k")
        r2 = s.get("R2")
        return 1 - (1 - r2) * (res.nobs - 1) / (res.nobs - k) if k and r2 is not None and res.nobs > k else None
    if n in ("r²", "r2", "r-squared"):
        return s.get("R2_within") if col.options.get("r2") == "within" and "R2_within" in s else s.get("R2")
    if n == "n":
        return int(res.nobs)
    if "kleibergen-paap rk lm" in n:
        return s.get("KP_rk_LM")
    if "kleibergen-paap rk wald f" in n:
        return s.get("KP_rk_Wald_F")
    if "cragg-donald" in n:
        return s.get("Cragg_Donald_F")
    if n.startswith("ar(1)"):
        return s.get("AR1_p")
    if n.startswith("ar(2)"):
        return s.get("AR2_p")
    if "hansen" in n:
        return s.get("Hansen_J_p")
    if "between-group" in n or "difference test" in n:
        return s.get("between_p")
    if n == "thresholds":
        return s.get("thresholds")
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
