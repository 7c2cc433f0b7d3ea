"""The panel fixed-effects family: ``fe`` (:func:`analysis.estimators.fit_fe`)."""
from __future__ import annotations

from analysis.replications.adapters.base import Adapter, formula, with_constant

__all__ = ["FixedEffects"]


class FixedEffects(Adapter):
    """``fe``: ``dependent ~ regressors + controls | fe`` by :func:`fit_fe` (options ``cluster``,
    ``vcov``), with the printed constant."""

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_fe

        res = fit_fe(data, formula(col), cluster=col.options.get("cluster"), vcov=col.options.get("vcov"))
        return with_constant(res, data, col.dependent)
