"""Estimators of the five studies. One module per family; every fit returns an `EstimationResult`.

Families: ``panel`` (FE), ``iv`` (FE-2SLS), ``gmm`` (system GMM), ``mediation``, ``heterogeneity``,
``threshold`` (Hansen 1999), ``did`` (TWFE, event study, placebo, PSM-DID, Callaway-Sant'Anna, ...),
``spatial`` (SAR/SEM/SDM panels), ``dml`` (double machine learning).

The public functions are importable from here (``from analysis.estimators import fit_fe``); they are
loaded on first use, so importing the package does not pull in scikit-learn or doubleml. The result
object (``EstimationResult``: ``params``, ``bse``, ``cov``, ``stats``, ``info``, ``wald_test``), the
statistic names (``analysis.estimators.statistics``) and the publication table ``etable`` are loaded
with the package.
"""
from __future__ import annotations

import importlib

from analysis.estimators.base import EstimationResult, stars
from analysis.estimators.publication_table import ETable, etable

_PUBLIC = {
    "fit_fe": "panel", "stepwise_fe": "panel", "winsorize": "panel",
    "fit_iv": "iv",
    "fit_system_gmm": "gmm",
    "fit_mediation": "mediation",
    "compare_groups": "heterogeneity",
    "fit_threshold": "threshold",
    "fit_twfe_did": "did", "event_study": "did", "placebo": "did", "psm_did": "did",
    "callaway_santanna": "did", "sun_abraham": "did", "imputation_did": "did", "bacon_decomposition": "did",
    "fit_spatial_panel": "spatial", "lm_tests": "spatial", "lr_test": "spatial", "wald_test": "spatial",
    "lr_effects_test": "spatial", "hausman": "spatial", "moran_by_year": "spatial", "weights_from_edges": "spatial",
    "fit_dml": "dml", "learner_comparison": "dml",
}

__all__ = ["EstimationResult", "ETable", "etable", "stars", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        module = importlib.import_module(f"analysis.estimators.{_PUBLIC[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'analysis.estimators' has no attribute {name!r}")
