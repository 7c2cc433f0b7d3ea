"""The panel fixed-effects family: ``fe`` (:func:`analysis.estimators.fit_fe`)."""
from __future__ import annotations

from analysis.replications.adapters.base import Adapter, covariance_options, formula, with_constant, with_wild_bootstrap

__all__ = ["FixedEffects"]


class FixedEffects(Adapter):
    """``fe``: ``dependent ~ regressors + controls | fe`` by :func:`fit_fe` (options ``cluster`` -- a column, or
    a list for multiway clustering -- and ``vcov``, Conley SEs included: see
    :func:`~analysis.replications.adapters.base.covariance_options`), with the printed constant;
    ``wild_bootstrap`` adds the WCR / WCU test of the first regressor
    (:func:`~analysis.replications.adapters.base.with_wild_bootstrap`)."""

    def fit(self, data, col, study, ctx):
        from analysis.estimators import fit_fe

        res = fit_fe(data, formula(col), **covariance_options(col, data, study, ctx))
        res = with_constant(res, data, col.dependent)
        return with_wild_bootstrap(res, data, formula(col), col, ctx, self.main_term(col))
