"""Inference beyond the estimators' own covariances: the wild cluster bootstrap (WCR, WCU, WRE)."""
from analysis.estimators.inference.wild_bootstrap import WildBootstrapResult, bootstrap_weights, wild_cluster_bootstrap

__all__ = ["WildBootstrapResult", "bootstrap_weights", "wild_cluster_bootstrap"]
