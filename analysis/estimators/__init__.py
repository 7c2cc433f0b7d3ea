"""Estimators of the five studies. One module per family; every fit returns an `EstimationResult`.

Families: ``panel`` (FE), ``iv`` (FE-2SLS), ``gmm`` (system GMM), ``mediation``, ``heterogeneity``,
``threshold`` (Hansen 1999), ``did`` (TWFE, event study, placebo, PSM-DID, Callaway-Sant'Anna, ...),
``spatial`` (SAR/SEM/SDM panels), ``dml`` (double machine learning).
"""
from analysis.estimators.base import EstimationResult, stars

__all__ = ["EstimationResult", "stars"]
