"""Adapters: how the replications call each estimator family of ``analysis.estimators``.

One adapter per family (``panel``, ``iv``, ``gmm``, ``threshold``, ``did``, ``dml``,
``heterogeneity``; ``spatial`` for study 000's custom tables), registered by name in
:mod:`.registry`. Every call into the estimators that the replications make is in this package.
"""
from analysis.replications.adapters.base import Adapter, formula, with_constant
from analysis.replications.adapters.registry import ADAPTERS, adapter

__all__ = ["ADAPTERS", "Adapter", "adapter", "formula", "with_constant"]
