"""The panel fixed-effects family: ``fe`` (:func:`analysis.estimators.fit_fe`)."""
from __future__ import annotations

from analysis.replications.adapters.base import Adapter, formula, with_constant, with_wild_bootstrap

__all__ = ["FixedEffects"]


class FixedEffects(Adapter):
    """``fe``: ``dependent ~ regressors + controls | fe`` by :func:`fit_fe` (options ``cluster``,
    ``vcov``), with the printed constant; ``wild_bootstrap`` adds the WCR / WCU test of the first regressor
    (:func:`~analysis.replications.adapters.base.with_wild_bootstrap`)."""

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_fe

        res = fit_fe(data, formula(col), cluster=col.options.get("cluster"), vcov=col.options.get("vcov"))
        res = with_constant(res, data, col.dependent)
        return with_wild_bootstrap(res, data, formula(col), col, ctx, self.main_term(col))
