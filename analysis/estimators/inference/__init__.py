"""Inference beyond the estimators' own covariances: the wild cluster bootstrap (WCR, WCU, WRE), weak-IV robust
inference (effective F, Anderson-Rubin test and confidence set) and HonestDiD sensitivity analysis of event
studies (Rambachan-Roth relative magnitudes and smoothness)."""
from analysis.estimators.inference.rambachan_roth import HonestDiDResult, event_study_input, honest_did
from analysis.estimators.inference.weak_iv import WeakIVResult, effective_f, weak_iv_robust
from analysis.estimators.inference.wild_bootstrap import WildBootstrapResult, bootstrap_weights, wild_cluster_bootstrap

__all__ = ["HonestDiDResult", "WeakIVResult", "WildBootstrapResult", "bootstrap_weights", "effective_f",
           "event_study_input", "honest_did", "weak_iv_robust", "wild_cluster_bootstrap"]
