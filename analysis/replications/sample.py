"""The estimation sample of one column: :func:`sample`."""
from __future__ import annotations

import pandas as pd

from analysis.replications.spec import ColumnSpec, StudySpec

__all__ = ["sample"]


def sample(panel: pd.DataFrame, col: ColumnSpec, study: StudySpec) -> pd.DataFrame:
    """Window (the column's, else the study's), filters, exclusions (units ever flagged), complete
    cases of every variable the column uses (plus ``options["need"]``), then winsorising of the float
    columns among dependent, regressors and controls at ``col.winsorize`` and ``1 - col.winsorize``."""
    lo, hi = col.window or study.window
    d = panel[(panel["year"] >= lo) & (panel["year"] <= hi)]
    if col.filters:
        d = d.query(col.filters)
    for flag in col.exclude_ever:
        ever = d.groupby(study.entity)[flag].transform("max") > 0
        d = d[~ever]
    need = [col.dependent, *col.regressors, *col.controls, *col.instruments, *col.options.get("need", ())]
    d = d.dropna(subset=list(dict.fromkeys(need))).reset_index(drop=True)
    if col.winsorize:
        from analysis.estimators import winsorize

        cols = [c for c in dict.fromkeys([col.dependent, *col.regressors, *col.controls])
                if pd.api.types.is_float_dtype(d[c])]
        d = winsorize(d, cols, lower=col.winsorize)
    return d
