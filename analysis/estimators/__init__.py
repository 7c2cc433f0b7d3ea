"""Estimators of the five studies; every fit returns an `EstimationResult` (``params``, ``bse``,
``cov``, ``stats``, ``info``, ``wald_test``), rendered side by side by ``etable``.

Families: ``panel`` (FE), ``iv`` (FE-2SLS), ``gmm`` (system GMM), ``mediation``, ``heterogeneity``,
``threshold`` (Hansen 1999), ``did/`` (TWFE, event study, placebo, PSM-DID, Callaway-Sant'Anna, ...),
``spatial/`` (SAR/SEM/SDM panels), ``dml/`` (double machine learning); ``inference/`` adds inference
beyond a fit's own covariance (wild cluster bootstrap, weak-IV robust tests, HonestDiD); ``covariance`` the meats of
multiway clusters and Conley's spatial HAC (``cluster=[a, b]``, ``vcov=Conley(...)``). The linear ones absorb fixed
effects through one engine, ``fixed_effects``; statistic names live in ``statistics``; formulas in ``formula``;
the input checks every estimator shares (unknown columns, ``missing="drop"|"raise"``, the ``vcov`` forms) in
``inputs``; the publication table in ``publication_table``.

Import the public names from here: ``from analysis.estimators import fit_fe, etable``. scikit-learn,
doubleml, statsmodels, linearmodels and the PySAL packages are imported inside the functions that use
them, so importing the package stays light.
"""
from analysis.estimators.base import EstimationResult, stars
from analysis.estimators.did import (
    bacon_decomposition,
    callaway_santanna,
    event_study,
    fit_twfe_did,
    imputation_did,
    placebo,
    psm_did,
    sun_abraham,
)
from analysis.estimators.dml import fit_dml, learner_comparison
from analysis.estimators.gmm import fit_system_gmm
from analysis.estimators.heterogeneity import compare_groups
from analysis.estimators.covariance import Conley
from analysis.estimators.inference import honest_did, weak_iv_robust, wild_cluster_bootstrap
from analysis.estimators.iv import fit_iv
from analysis.estimators.mediation import fit_mediation
from analysis.estimators.panel import fit_fe, stepwise_fe, winsorize
from analysis.estimators.publication_table import ETable, etable
from analysis.estimators.spatial import (
    fit_spatial_panel,
    hausman,
    lm_tests,
    lr_effects_test,
    lr_test,
    moran_by_year,
    wald_test,
    weights_from_edges,
)
from analysis.estimators.threshold import fit_threshold

#: the estimators (functions with an equation, a reference and their conventions in the docstring)
ESTIMATORS = (
    "fit_fe", "stepwise_fe", "winsorize", "fit_iv", "fit_system_gmm", "fit_mediation", "compare_groups",
    "fit_threshold", "fit_twfe_did", "event_study", "placebo", "psm_did", "callaway_santanna",
    "sun_abraham", "imputation_did", "bacon_decomposition", "fit_spatial_panel", "lm_tests", "lr_test",
    "lr_effects_test", "wald_test", "hausman", "moran_by_year", "weights_from_edges", "fit_dml", "learner_comparison",
    "wild_cluster_bootstrap", "weak_iv_robust", "honest_did",
)

__all__ = ["EstimationResult", "ETable", "Conley", "etable", "stars", *ESTIMATORS]
