"""Learner comparison for ``fit_dml``: the same folds for every learner, nuisance fit and estimates."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis.estimators.dml.estimator import fit_dml

__all__ = ["learner_comparison", "plot_learner_comparison"]


def learner_comparison(
    data: pd.DataFrame,
    *,
    learners: Sequence[str] = ("rf", "lasso", "gbm", "svm"),
    progress: bool = True,
    **fit_kwargs,
) -> pd.DataFrame:
    """Fit :func:`fit_dml` once per learner on the same folds; long table with one row per learner x
    repetition x fold x nuisance: ``learner, rep, fold, nuisance, rmse, target_sd, estimate, std_error``."""
    rows = []
    folds = fit_kwargs.pop("folds", None)
    for name in tqdm(list(learners), desc="learners", disable=not progress):
        res = fit_dml(data, learner=name, folds=folds, progress=False, **fit_kwargs)
        folds = res.info["folds"]  # identical splits for every learner
        t = res.nuisance_table()
        t.insert(0, "learner", name)
        term = res.params.index[0]
        t["estimate"], t["std_error"] = res.params[term], res.bse[term]
        rows.append(t)
    return pd.concat(rows, ignore_index=True)


def plot_learner_comparison(table: pd.DataFrame, ax=None):
    """Two panels: out-of-fold nuisance RMSE (relative to the target's SD) per learner and fold, and the
    estimate with its 95% interval per learner. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    else:
        axes = ax
        fig = axes[0].figure
    learners = list(dict.fromkeys(table["learner"]))
    nuisances = list(dict.fromkeys(table["nuisance"]))
    width = 0.8 / max(len(nuisances), 1)
    for k, nuis in enumerate(nuisances):
        sub = table[table.nuisance == nuis]
        for i, lname in enumerate(learners):
            vals = (sub[sub.learner == lname].rmse / sub[sub.learner == lname].target_sd).to_numpy()
            axes[0].scatter(np.full(len(vals), i + (k - (len(nuisances) - 1) / 2) * width), vals,
                            s=14, color=f"C{k}", label=nuis if i == 0 else None)
    axes[0].set_xticks(range(len(learners)), learners)
    axes[0].set_ylabel("out-of-fold RMSE / SD of target")
    axes[0].set_title("Nuisance fit by learner (dots = folds)")
    axes[0].legend(fontsize=8)
    est = table.groupby("learner", sort=False)[["estimate", "std_error"]].first().reindex(learners)
    axes[1].errorbar(range(len(learners)), est.estimate, yerr=1.96 * est.std_error, fmt="o", capsize=4)
    axes[1].axhline(0, color="grey", lw=0.8)
    axes[1].set_xticks(range(len(learners)), learners)
    axes[1].set_title("DML estimate and 95% CI")
    fig.tight_layout()
    return fig
