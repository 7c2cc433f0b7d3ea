"""Inference beyond the estimators' own covariances: the wild cluster bootstrap (WCR, WCU, WRE) and weak-IV
robust inference (effective F, Anderson-Rubin test and confidence set)."""
from analysis.estimators.inference.weak_iv import WeakIVResult, effective_f, weak_iv_robust
from analysis.estimators.inference.wild_bootstrap import WildBootstrapResult, bootstrap_weights, wild_cluster_bootstrap

__all__ = ["WeakIVResult", "WildBootstrapResult", "bootstrap_weights", "effective_f", "weak_iv_robust",
           "wild_cluster_bootstrap"]
