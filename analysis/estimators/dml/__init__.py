"""Double/debiased machine learning on the city panel (study 001): PLR and PLIV with city and year
effects, city-clustered cross-fitting, repeated splits and a learner comparison.

Modules: ``estimator`` (``fit_dml``, its equations and conventions), ``learners`` (the scikit-learn
nuisance learners by name), ``comparison`` (every learner on the same folds).
"""
from analysis.estimators.dml.comparison import learner_comparison, plot_learner_comparison
from analysis.estimators.dml.estimator import FE_METHODS, DMLResult, demean_twoway, fit_dml
from analysis.estimators.dml.learners import LEARNER_LABELS, LEARNERS, make_learner

__all__ = ["DMLResult", "FE_METHODS", "LEARNERS", "LEARNER_LABELS", "demean_twoway", "fit_dml",
           "learner_comparison", "make_learner", "plot_learner_comparison"]
